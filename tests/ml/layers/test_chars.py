"""The character encoders: every character of every token, batched, case kept."""
import numpy
import pytest
import spacy
from spacy.util import registry
from thinc.api import Adam, Softmax, chain, fix_random_seed, with_array

from spacy_bilstm_crf.ml.layers.chars import doc_characters

ENCODERS = ["spacy-bilstm-crf.CharCNN.v1", "spacy-bilstm-crf.CharBiLSTM.v1"]


@pytest.fixture(scope="module")
def nlp():
    return spacy.blank("en")


def build(name, **settings):
    fix_random_seed(0)
    return registry.resolve({"model": {"@architectures": name, **settings}})["model"]


def test_doc_characters_reads_every_character_with_case(nlp):
    doc = nlp("Zoë  met ALBERT")  # two spaces: a whitespace token
    points, lengths = doc_characters(doc)
    assert lengths.tolist() == [len(t.text) for t in doc]
    assert "".join(chr(p) for p in points) == "".join(t.text for t in doc)
    empty_points, empty_lengths = doc_characters(nlp(""))
    assert len(empty_points) == 0 and len(empty_lengths) == 0


@pytest.mark.parametrize("name", ENCODERS)
def test_defaults_alone_build_a_working_layer(name, nlp):
    model = build(name)
    docs = [nlp("Hello world"), nlp("")]
    model.initialize(X=docs)
    out = model.predict(docs)
    assert [o.shape for o in out] == [(2, model.get_dim("nO")), (0, model.get_dim("nO"))]


@pytest.mark.parametrize("name", ENCODERS)
def test_batch_independent_and_odd_tokens(name, nlp):
    model = build(name, width=16, embed_width=8, rows=64)
    long_token = "x" * 120 + "é" * 80  # a 200-character token
    docs = [nlp("a b c . I"), nlp(""), nlp(f"{long_token} Zürich 東京 😀 x"), nlp("")]
    model.initialize(X=docs)
    out = model.predict(docs)
    assert [o.shape[0] for o in out] == [5, 0, 5, 0]
    for doc, alone in zip(docs, out):
        numpy.testing.assert_allclose(model.predict([doc])[0], alone, atol=1e-6)
    assert all(numpy.isfinite(o).all() for o in out)
    assert model.predict([nlp("")]) [0].shape == (0, 16)


@pytest.mark.parametrize("name", ENCODERS)
def test_case_and_accents_reach_the_model(name, nlp):
    model = build(name, width=16, embed_width=8, rows=64)
    docs = [nlp("Apple apple Zurich Zürich")]
    model.initialize(X=docs)
    vectors = model.predict(docs)[0]
    assert not numpy.allclose(vectors[0], vectors[1])
    assert not numpy.allclose(vectors[2], vectors[3])


@pytest.mark.parametrize("name", ENCODERS)
def test_gradient_reaches_the_character_table(name, nlp):
    model = build(name, width=16, embed_width=8, rows=64, dropout=0.2)
    docs = [nlp("Zoë met Albert"), nlp("")]
    model.initialize(X=docs)
    out, backprop = model.begin_update(docs)
    backprop([numpy.ones_like(o) for o in out])
    grads = [model.ops.xp.abs(node.get_grad("E")).sum() for node in model.walk() if node.has_grad("E")]
    assert grads and grads[0] > 0


SUFFIXES = {"ville": 0, "son": 1, "ase": 2}
STEMS = ["bar", "kel", "mor", "dun", "pel", "tor", "vin", "gal", "rud", "sem", "fol", "wik"]


@pytest.mark.parametrize("name", ENCODERS)
def test_learns_the_type_of_unseen_words_from_their_characters(name, nlp):
    """Tag a word by its suffix; half the stems are held out, so only the
    characters (not the word) can carry the answer."""
    model = build(name, width=32, embed_width=16, rows=128)
    tagger = chain(model, with_array(Softmax(nO=len(SUFFIXES))))

    def data(stems):
        words = [stem.capitalize() + suffix for stem in stems for suffix in SUFFIXES]
        doc = nlp.make_doc(" ".join(words))
        gold = numpy.zeros((len(words), len(SUFFIXES)), dtype="float32")
        for i, word in enumerate(words):
            gold[i, next(v for s, v in SUFFIXES.items() if word.endswith(s))] = 1.0
        return [doc], [gold]

    train_docs, train_gold = data(STEMS[:8])
    test_docs, test_gold = data(STEMS[8:])
    tagger.initialize(X=train_docs, Y=train_gold)
    optimizer = Adam(0.02)
    for _ in range(60):
        guesses, backprop = tagger.begin_update(train_docs)
        backprop([g - y for g, y in zip(guesses, train_gold)])
        tagger.finish_update(optimizer)
    predicted = tagger.predict(test_docs)[0].argmax(axis=1)
    assert (predicted == test_gold[0].argmax(axis=1)).mean() == 1.0


@pytest.mark.parametrize("name", ENCODERS)
def test_bytes_round_trip_gives_identical_output(name, nlp):
    model = build(name, width=16, embed_width=8, rows=64)
    docs = [nlp("Zoë met Albert in Zürich.")]
    model.initialize(X=docs)
    other = build(name, width=16, embed_width=8, rows=64).from_bytes(model.to_bytes())
    numpy.testing.assert_array_equal(other.predict(docs)[0], model.predict(docs)[0])


@pytest.mark.parametrize("name,settings", [
    ("spacy-bilstm-crf.CharCNN.v1", {"width": 0}),
    ("spacy-bilstm-crf.CharCNN.v1", {"dropout": 1.0}),
    ("spacy-bilstm-crf.CharBiLSTM.v1", {"width": 15}),
])
def test_bad_settings_are_rejected(name, settings):
    with pytest.raises(ValueError, match="E006"):
        build(name, **settings)
