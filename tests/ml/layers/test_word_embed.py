"""WordEmbed.v1: trainable rows over the training words, frozen pretrained
rows for every other word of the table, an unknown row for the rest."""
import numpy
import pytest
import spacy
from spacy.training import Example
from spacy.util import registry
from thinc.api import Softmax, chain, fix_random_seed, with_array

from spacy_bilstm_crf.ml.layers.word_embed import WordEmbed, set_training_words
from spacy_bilstm_crf.ml.optimizers import SGDMomentum
from spacy_bilstm_crf.vectors import vectors_pipeline

# A tiny GloVe: lower-cased words; vectors_pipeline adds "Paris"/"PARIS" sharing the row of "paris".
PRETRAINED = ["paris", "london", "berlin", "rome", "city", "the"]
WIDTH = 6


def glove_nlp():
    rng = numpy.random.default_rng(7)
    return vectors_pipeline(PRETRAINED, rng.normal(size=(len(PRETRAINED), WIDTH)).astype("float32"), name="tiny")


def initialized(nlp, train_texts, **settings):
    fix_random_seed(0)
    model = WordEmbed(**settings)
    docs = [nlp(text) for text in train_texts]
    set_training_words(model, docs)
    model.initialize(X=docs[:1])  # a sample, as the component gives it: the words come from all docs
    return model


def vector(nlp, word):
    return nlp.vocab.vectors.data[nlp.vocab.vectors.find(key=word)]


def test_rows_start_from_the_lowercased_vectors_of_every_training_word():
    nlp = glove_nlp()
    model = initialized(nlp, ["Paris is a city", "the zorblat of LONDON"])
    assert model.get_dim("nO") == WIDTH  # width = null: the vectors' width
    words = model.attrs["words"]
    assert words == sorted({"paris", "is", "a", "city", "the", "zorblat", "of", "london"})
    E = model.get_param("E")
    assert model.get_dim("nV") == len(words) + 1 == E.shape[0]
    for word in ("paris", "city", "the", "london"):
        numpy.testing.assert_array_equal(E[1 + words.index(word)], vector(nlp, word))
    # Cased tokens read the lower-cased row (also of a word with no vector).
    for word in ("paris", "zorblat"):
        out = model.predict([nlp(f"{word.upper()} {word.title()} {word}")])[0]
        numpy.testing.assert_array_equal(out, numpy.repeat(E[1 + words.index(word)][None], 3, axis=0))


def test_cased_vocabulary_with_lower_false():
    nlp = glove_nlp()
    model = initialized(nlp, ["Paris paris"], lower=False)
    assert model.attrs["words"] == ["Paris", "paris"]
    E = model.get_param("E")
    # init-vectors' cased key shares the row of "paris": both rows start from it.
    numpy.testing.assert_array_equal(E[1], vector(nlp, "paris"))
    numpy.testing.assert_array_equal(E[2], vector(nlp, "paris"))


def test_unseen_pretrained_word_is_frozen_and_unknown_word_gets_unknown_row():
    nlp = glove_nlp()
    model = initialized(nlp, ["Paris is a city"])
    out = model.predict([nlp("Rome Xyzzy")])[0]
    numpy.testing.assert_array_equal(out[0], vector(nlp, "rome"))  # not a training word: frozen vector
    numpy.testing.assert_array_equal(out[1], model.get_param("E")[0])  # in neither table: the unknown row


def test_learns_a_toy_task_and_fine_tunes_seen_rows_only():
    """Each training word has a class no pretrained vector tells: only
    fine-tuned rows can learn it. Rows of unseen pretrained words stay
    bit-identical after 50 updates of the shipped optimizer with weight decay."""
    nlp = glove_nlp()
    before = nlp.vocab.vectors.data.copy()
    texts = ["paris city the", "london zorblat city", "berlin the zorblat"]
    classes = {"paris": 0, "city": 1, "the": 2, "london": 2, "zorblat": 0, "berlin": 1}
    fix_random_seed(0)
    embed = WordEmbed(dropout=0.0, unknown_rate=0.0)
    model = chain(embed, with_array(Softmax(nO=3)))
    train_docs = [nlp(text) for text in texts]
    set_training_words(embed, train_docs)
    model.initialize(X=train_docs)
    E0 = embed.get_param("E").copy()
    # Every batch also reads "rome" (pretrained, not a training word).
    docs = [nlp(text + " rome") for text in texts]
    gold = [numpy.eye(3, dtype="f")[[classes.get(t.text, 0) for t in doc]] for doc in docs]
    optimizer = SGDMomentum(0.1, momentum=0.9, L2=0.01, L2_is_weight_decay=True, grad_clip=5.0)
    for _ in range(50):
        guesses, backprop = model.begin_update(docs)
        # No loss on "rome": its gradient would still be dropped, but keep the toy task clean.
        backprop([(g - y) * numpy.array([[1]] * (len(g) - 1) + [[0]], dtype="f") for g, y in zip(guesses, gold)])
        model.finish_update(optimizer)
    predicted = [g.argmax(axis=1)[:-1].tolist() for g in model.predict(docs)]
    assert predicted == [[classes[w] for w in text.split()] for text in texts]
    E = embed.get_param("E")
    words = embed.attrs["words"]
    for word in classes:
        assert not numpy.array_equal(E[1 + words.index(word)], E0[1 + words.index(word)])
    assert "rome" not in words
    numpy.testing.assert_array_equal(nlp.vocab.vectors.data, before)
    rome = embed.predict([nlp("Rome")])[0][0]
    assert rome.tobytes() == vector(nlp, "rome").tobytes()


def test_frozen_rows_get_no_gradient_and_unknown_row_does():
    nlp = glove_nlp()
    model = initialized(nlp, ["paris city"])
    docs = [nlp("paris rome qwerty")]
    out, backprop = model.begin_update(docs)
    backprop([numpy.ones_like(out[0])])
    dE = model.get_grad("E")
    words = model.attrs["words"]
    assert dE[1 + words.index("paris")].tolist() == [1.0] * WIDTH
    assert dE[0].tolist() == [1.0] * WIDTH  # "qwerty": the unknown row
    assert dE[1 + words.index("city")].tolist() == [0.0] * WIDTH  # not in the batch
    assert float(numpy.abs(dE).sum()) == 2 * WIDTH  # "rome" (frozen) adds nothing


def test_unknown_rate_trains_the_unknown_row_in_training_only():
    nlp = glove_nlp()
    model = initialized(nlp, ["paris city the"], unknown_rate=0.5)
    docs = [nlp("paris city the " * 20)]
    unknown = model.get_param("E")[0]
    train_out, _ = model.begin_update(docs)
    n_unknown = int((train_out[0] == unknown).all(axis=1).sum())
    assert 10 < n_unknown < 50
    assert not (model.predict(docs)[0] == unknown).all(axis=1).any()


def test_dropout_in_training_only():
    nlp = glove_nlp()
    model = initialized(nlp, ["paris city the"], dropout=0.5)
    docs = [nlp("paris city the " * 10)]
    train_out, _ = model.begin_update(docs)
    assert (train_out[0] == 0).mean() > 0.3
    assert (model.predict(docs)[0] != 0).all()


def test_batch_independent():
    nlp = glove_nlp()
    model = initialized(nlp, ["Paris is a city", "the zorblat"])
    docs = [nlp("Paris is Rome"), nlp(""), nlp("the qwerty zorblat of London")]
    together = model.predict(docs)
    for doc, out in zip(docs, together):
        numpy.testing.assert_array_equal(model.predict([doc])[0], out)
    assert together[1].shape == (0, WIDTH)


def test_round_trip_rebuilds_the_table_from_attrs_and_dims():
    nlp = glove_nlp()
    model = initialized(nlp, ["Paris is a city", "the zorblat"])
    docs = [nlp("Paris zorblat Rome qwerty")]
    loaded = WordEmbed().from_bytes(model.to_bytes())
    assert loaded.attrs["words"] == model.attrs["words"]
    numpy.testing.assert_array_equal(loaded.predict(docs)[0], model.predict(docs)[0])
    # A trained layer keeps its words: set_training_words leaves it alone.
    assert set_training_words(loaded, [nlp("entirely new words")]) == 0
    assert loaded.attrs["words"] == model.attrs["words"]


def test_registered_and_validated():
    layer = registry.resolve({"m": {"@architectures": "spacy-bilstm-crf.WordEmbed.v1", "width": 4}})["m"]
    assert layer.name == "word_embed" and layer.get_dim("nO") == 4
    for bad in ({"width": 0}, {"width": 4, "dropout": 1.0}, {"width": 4, "unknown_rate": -0.1}):
        with pytest.raises(ValueError, match="E006"):
            WordEmbed(**bad)


def test_width_must_match_the_vectors():
    nlp = glove_nlp()
    with pytest.raises(ValueError, match="E200"):
        initialized(nlp, ["paris"], width=WIDTH + 1)


def test_width_null_needs_vectors_and_width_alone_works_without():
    nlp = spacy.blank("en")
    with pytest.raises(ValueError, match="E203"):
        initialized(nlp, ["paris"])
    model = initialized(nlp, ["paris city"], width=5)
    out = model.predict([nlp("paris rome")])[0]
    numpy.testing.assert_array_equal(out[1], model.get_param("E")[0])  # no table: unknown row


# The layer inside the component: all training words, spacy.load, fine-tuning.

def pipeline_with_word_embed(vectors_nlp):
    nlp = spacy.blank("en", vocab=vectors_nlp.vocab)
    nlp.add_pipe("sentencizer")
    config = {
        "model": {
            "@architectures": "spacy-bilstm-crf.BiLSTMCRFTagger.v3",
            "width": 8, "depth": 1, "dropout": 0.0, "spatial_dropout": 0.0, "word_dropout": 0.0,
            "tok2vec": {
                "@architectures": "spacy-bilstm-crf.StackedEmbed.v1",
                "*": {
                    "words": {"@architectures": "spacy-bilstm-crf.WordEmbed.v1", "dropout": 0.0},
                    "chars": {"@architectures": "spacy-bilstm-crf.CharCNN.v1", "width": 4, "embed_width": 4},
                },
            },
        }
    }
    nlp.add_pipe("bilstm_crf_ner", config=config)
    return nlp


TRAIN = [("Paris is big.", [(0, 5, "LOC")])] * 11 + [("Zorblat visited London.", [(0, 7, "PER"), (16, 22, "LOC")])]


def test_component_collects_words_of_every_example_and_round_trips(tmp_path):
    fix_random_seed(0)
    nlp = pipeline_with_word_embed(glove_nlp())
    examples = [Example.from_dict(nlp.make_doc(t), {"entities": e}) for t, e in TRAIN]
    nlp.initialize(lambda: examples)
    ner = nlp.get_pipe("bilstm_crf_ner")
    (embed,) = [n for n in ner.model.walk() if n.name == "word_embed"]
    # "zorblat" is only in the 12th example, past the component's 10-example sample.
    assert "zorblat" in embed.attrs["words"]
    optimizer = SGDMomentum(0.05, momentum=0.9, L2=0.001)
    rome_before = vector(nlp, "rome").copy()
    for _ in range(50):
        nlp.update(examples, sgd=optimizer)
    texts = ["Zorblat visited Rome.", "Paris is big.", "Qwerty saw Berlin."]
    ents = [[(e.text, e.label_) for e in doc.ents] for doc in nlp.pipe(texts)]
    assert ents[1] == [("Paris", "LOC")]
    assert vector(nlp, "rome").tobytes() == rome_before.tobytes()
    nlp.to_disk(tmp_path / "nlp")
    loaded = spacy.load(tmp_path / "nlp")
    (loaded_embed,) = [n for n in loaded.get_pipe("bilstm_crf_ner").model.walk() if n.name == "word_embed"]
    assert loaded_embed.attrs["words"] == embed.attrs["words"]
    assert [[(e.text, e.label_) for e in doc.ents] for doc in loaded.pipe(texts)] == ents
    for a, b in zip(nlp.get_pipe("bilstm_crf_ner").model.predict([nlp(t) for t in texts]),
                    loaded.get_pipe("bilstm_crf_ner").model.predict([loaded(t) for t in texts])):
        numpy.testing.assert_array_equal(a, b)
    # Fine-tuning the loaded pipeline on other text keeps the map.
    other = [Example.from_dict(loaded.make_doc("Quux went to Oslo."), {"entities": [(13, 17, "LOC")]})]
    loaded.update(other, sgd=SGDMomentum(0.05))
    assert loaded_embed.attrs["words"] == embed.attrs["words"]
