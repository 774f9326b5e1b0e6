"""The `bilstm_crf_ner` component: learning, IO, batching, edge cases."""
import pickle

import numpy
import pytest
import spacy
from spacy import displacy
from spacy.tokens import Doc
from spacy.training import Example
from thinc.api import Adam

from helpers.ner import ARCHS, TRAIN_DATA, make_examples, train_nlp

TEXTS = [text for text, _ in TRAIN_DATA]


def _ents(doc):
    return [(e.start_char, e.end_char, e.label_) for e in doc.ents]


def test_overfitting(trained):
    arch, nlp, history = trained
    assert history[-1] < history[0] * 0.2, history[::20]
    for text, gold in TRAIN_DATA:
        assert _ents(nlp(text)) == gold, (arch, text)


def test_io_to_disk_and_bytes(trained, tmp_path):
    arch, nlp, _ = trained
    before = [_ents(doc) for doc in nlp.pipe(TEXTS)]
    nlp.to_disk(tmp_path)
    loaded = spacy.load(tmp_path)
    assert [_ents(doc) for doc in loaded.pipe(TEXTS)] == before
    fresh = spacy.blank("en")
    config = {k: v for k, v in nlp.config["components"]["bilstm_crf_ner"].items() if k != "factory"}
    fresh.add_pipe("bilstm_crf_ner", config=config)
    fresh.from_bytes(nlp.to_bytes())
    assert [_ents(doc) for doc in fresh.pipe(TEXTS)] == before
    scores_a = nlp.get_pipe("bilstm_crf_ner").model.predict([nlp.make_doc(TEXTS[0])])[0]
    scores_b = loaded.get_pipe("bilstm_crf_ner").model.predict([loaded.make_doc(TEXTS[0])])[0]
    numpy.testing.assert_array_equal(scores_a, scores_b)


def test_doc_does_not_depend_on_batch(trained):
    _, nlp, _ = trained
    long_text = " ".join(TEXTS * 20)
    texts = [long_text, TEXTS[0], "", "Berlin", TEXTS[3], long_text[:200]]
    one_by_one = [_ents(nlp(t)) for t in texts]
    batched = [_ents(doc) for doc in nlp.pipe(texts, batch_size=6)]
    assert batched == one_by_one
    ner = nlp.get_pipe("bilstm_crf_ner")
    alone = ner.model.predict([nlp.make_doc(TEXTS[0])])[0]
    together = ner.model.predict([nlp.make_doc(t) for t in texts])[1]
    numpy.testing.assert_allclose(alone, together, atol=1e-5)


def test_empty_long_and_non_ascii_docs(trained):
    _, nlp, _ = trained
    assert list(nlp.pipe(["", ""])) and all(len(d.ents) == 0 for d in nlp.pipe(["", ""]))
    long_doc = nlp(" ".join(["Shaka Khan lives in Berlin"] * 1000))
    assert len(long_doc) == 5000
    assert all(e.label_ in ("PERSON", "LOC") for e in long_doc.ents)
    doc = nlp(TRAIN_DATA[4][0])
    assert _ents(doc) == TRAIN_DATA[4][1]
    doc = nlp("東京 ☃ Zürich")
    assert [t.ent_iob_ for t in doc].count("") == 0


def test_displacy_renders(trained):
    _, nlp, _ = trained
    html = displacy.render(nlp(TEXTS[3]), style="ent")
    assert "Shaka Khan" in html and "PERSON" in html


def test_scores_with_ner_scorer(trained):
    _, nlp, _ = trained
    scores = nlp.evaluate(make_examples(nlp))
    assert scores["ents_f"] == 1.0
    assert set(scores["ents_per_type"]) == {"PERSON", "LOC"}


@pytest.mark.parametrize("arch", [ARCHS[0], ARCHS[2]])
def test_bio_scheme_and_depth_zero(arch):
    nlp, _ = train_nlp(arch, n_iter=120, tag_scheme="BIO", depth=0)
    ner = nlp.get_pipe("bilstm_crf_ner")
    assert ner.tags[:3] == ["O", "B-LOC", "I-LOC"]
    assert _ents(nlp(TRAIN_DATA[3][0])) == TRAIN_DATA[3][1]


def test_sentence_level_model_tags_each_sentence_on_its_own(trained):
    """With sentence boundaries, the LSTM and the CRF see one sentence at a
    time: a sentence's scores do not depend on its neighbours."""
    _, nlp, _ = trained
    ner = nlp.get_pipe("bilstm_crf_ner")
    assert ner.model.attrs["sentence_level"]
    words = ["Shaka", "Khan", "lives", "in", "Berlin", ".", "I", "like", "London", "."]
    split = Doc(nlp.vocab, words=words, sent_starts=[True] + [False] * 5 + [True] + [False] * 3)
    whole = Doc(nlp.vocab, words=words)
    first = Doc(nlp.vocab, words=words[:6])
    second = Doc(nlp.vocab, words=words[6:])
    s_split = ner.model.predict([split])[0]
    s_first = ner.model.predict([first])[0]
    s_whole = ner.model.predict([whole])[0]
    # The tok2vec (a window-free hash embedding here) sees the same tokens, so
    # the first sentence's scores match it alone; the whole doc's do not.
    numpy.testing.assert_allclose(s_split[:6], s_first, atol=1e-5)
    assert not numpy.allclose(s_whole[:6], s_first, rtol=1e-3, atol=0)
    ids = ner.predict([split]).tag_ids[0]
    expected = ner.predict([first]).tag_ids[0].tolist() + ner.predict([second]).tag_ids[0].tolist()
    assert ids.tolist() == expected
    # The loss runs per sentence as well: gradients exist for every token.
    eg = Example(split, Doc(nlp.vocab, words=words, ents=["B-PERSON", "I-PERSON", "O", "O",
                                                        "B-LOC", "O", "O", "O", "B-LOC", "O"]))
    loss, d_scores = ner.get_loss([eg], [s_split])
    assert loss > 0 and d_scores[0].shape == s_split.shape


def test_sentence_boundary_inside_a_gold_entity_does_not_blow_up_the_crf_loss():
    """A sentencizer cut inside an entity makes the sentence's gold path
    invalid; its edge tags are treated as missing instead (loss ~1e4 otherwise)."""
    nlp = spacy.blank("en")
    nlp.add_pipe("bilstm_crf_ner", config={"model": {"width": 16}})
    words = ["Anna", "Maria", "Smith", "lives", "here"]
    ref = Doc(nlp.vocab, words=words, ents=["B-PER", "I-PER", "I-PER", "O", "O"])
    pred = Doc(nlp.vocab, words=words, sent_starts=[True, False, True, False, False])
    eg = Example(pred, ref)
    nlp.initialize(lambda: [eg])
    ner = nlp.get_pipe("bilstm_crf_ner")
    loss, d_scores = ner.get_loss([eg], ner.model.predict([pred]))
    assert 0 < loss < 100
    assert numpy.isfinite(d_scores[0]).all()


def test_labels_from_initialize_and_unknown_gold_label():
    nlp = spacy.blank("en")
    nlp.add_pipe("bilstm_crf_ner", config={"model": {"width": 16}})
    examples = make_examples(nlp)
    nlp.initialize(lambda: examples)
    assert nlp.get_pipe("bilstm_crf_ner").labels == ("LOC", "PERSON")
    nlp2 = spacy.blank("en")
    ner = nlp2.add_pipe("bilstm_crf_ner", config={"model": {"width": 16}})
    ner.initialize(lambda: make_examples(nlp2), nlp=nlp2, labels=["LOC"])
    assert ner.labels == ("LOC",)
    with pytest.raises(ValueError, match="PERSON"):
        nlp2.update(make_examples(nlp2), sgd=None)


def test_initialize_without_entities_fails_clearly():
    nlp = spacy.blank("en")
    nlp.add_pipe("bilstm_crf_ner")
    examples = [Example.from_dict(nlp.make_doc("no entities here"), {"entities": []})]
    with pytest.raises(ValueError, match="no labels"):
        nlp.initialize(lambda: examples)


def test_add_label_after_initialize_is_refused(trained):
    _, nlp, _ = trained
    ner = nlp.get_pipe("bilstm_crf_ner")
    assert ner.add_label("LOC") == 0
    with pytest.raises(ValueError, match="E004"):
        ner.add_label("NEW")


def test_pickles(trained):
    _, nlp, _ = trained
    ner2 = pickle.loads(pickle.dumps(nlp.get_pipe("bilstm_crf_ner")))
    assert ner2.labels == nlp.get_pipe("bilstm_crf_ner").labels


@pytest.mark.slow
def test_n_process_2_matches_one_process(tmp_path):
    nlp, _ = train_nlp(ARCHS[2], n_iter=60)
    texts = TEXTS * 8
    single = [_ents(doc) for doc in nlp.pipe(texts)]
    multi = [_ents(doc) for doc in nlp.pipe(texts, n_process=2, batch_size=4)]
    assert multi == single


@pytest.mark.parametrize(
    "v1,v2",
    [
        ("spacy-bilstm-crf.BiLSTMTagger.v1", "spacy-bilstm-crf.BiLSTMTagger.v2"),
        ("spacy-bilstm-crf.BiLSTMLSTMTagger.v1", "spacy-bilstm-crf.BiLSTMLSTMTagger.v2"),
    ],
)
def test_v2_softmax_starts_with_glorot_weights_and_learns(v1, v2):
    """v1's zero-initialised softmax passes no gradient down at first; v2's does."""
    nlp_v1, _ = train_nlp(v1, n_iter=0)
    assert not nlp_v1.get_pipe("bilstm_crf_ner").model.get_ref("output").get_param("W").any()
    nlp, history = train_nlp(v2, n_iter=150)
    output = nlp.get_pipe("bilstm_crf_ner").model.get_ref("output")
    assert output.get_param("W").any()
    assert history[-1] < history[0] * 0.2
    assert _ents(nlp(TRAIN_DATA[3][0])) == TRAIN_DATA[3][1]


def test_crf_word_dropout_learns_and_round_trips(tmp_path):
    """Word dropout on the embeddings (CRF v2, v3): active in training only,
    so predictions stay deterministic and survive spacy.load."""
    arch = "spacy-bilstm-crf.BiLSTMCRFTagger.v3"
    nlp, history = train_nlp(arch, n_iter=120, word_dropout=0.2)
    model = nlp.get_pipe("bilstm_crf_ner").model
    assert [node.attrs["bilstm_dropout_rate"] for node in model.walk() if node.name == "word_dropout"] == [0.2]
    assert history[-1] < history[0] * 0.2
    before = [_ents(doc) for doc in nlp.pipe(TEXTS)]
    assert before == [gold for _, gold in TRAIN_DATA]
    nlp.to_disk(tmp_path)
    assert [_ents(doc) for doc in spacy.load(tmp_path).pipe(TEXTS)] == before


def test_crf_rejects_a_word_dropout_of_one():
    with pytest.raises(ValueError, match="word_dropout"):
        train_nlp("spacy-bilstm-crf.BiLSTMCRFTagger.v3", n_iter=0, word_dropout=1.0)


def test_resize_labels_keeps_encoder_and_learns_new_labels(tmp_path):
    """Transfer: a trained component gets a new label set; embeddings and LSTM
    keep their weights, output and CRF are resized, and fine-tuning learns the
    new labels; the result round-trips."""
    nlp, _ = train_nlp(ARCHS[2], n_iter=20)
    ner = nlp.get_pipe("bilstm_crf_ner")
    encoder = {
        (node.id, name): node.get_param(name).copy()
        for node in ner.model.get_ref("tok2vec").walk()
        for name in node.param_names
        if node.has_param(name)
    }
    ner.resize_labels(["CITY", "NAME"])
    assert ner.labels == ("CITY", "NAME")
    assert ner.model.get_ref("output").get_dim("nO") == len(ner.tags) == 9
    assert ner.model.get_ref("crf").get_param("transitions").shape == (9, 9)
    for (node_id, name), value in encoder.items():
        node = next(n for n in ner.model.walk() if n.id == node_id)
        assert numpy.array_equal(node.get_param(name), value)
    relabel = {"PERSON": "NAME", "LOC": "CITY"}
    data = [(text, [(s, e, relabel[label]) for s, e, label in ents]) for text, ents in TRAIN_DATA]
    examples = make_examples(nlp, data)
    optimizer = Adam(0.01)
    for _ in range(60):
        nlp.update(examples, sgd=optimizer)
    predicted = {ent.label_ for doc in nlp.pipe(TEXTS) for ent in doc.ents}
    assert predicted and predicted <= {"CITY", "NAME"}
    scores = nlp.evaluate(examples)
    assert scores["ents_f"] > 0.8
    nlp.to_disk(tmp_path / "model")
    loaded = spacy.load(tmp_path / "model")
    assert [_ents(d) for d in loaded.pipe(TEXTS)] == [_ents(d) for d in nlp.pipe(TEXTS)]
    with pytest.raises(ValueError, match="E002"):
        ner.resize_labels([])
