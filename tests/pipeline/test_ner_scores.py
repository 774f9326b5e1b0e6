"""Entity probabilities in doc.spans and the precision threshold."""
import pytest
import spacy

from helpers.ner import ARCHS, TRAIN_DATA, train_nlp

TEXTS = [text for text, _ in TRAIN_DATA] + ["Berlin and Shaka lives in London Khan."]


def _ents(doc):
    return [(e.start, e.end, e.label_) for e in doc.ents]


def test_every_entity_has_a_probability(trained):
    _, nlp, _ = trained
    for doc in nlp.pipe(TEXTS):
        group = doc.spans["ents_scored"]
        scores = group.attrs["scores"]
        assert len(scores) == len(group)
        assert all(0.0 <= p <= 1.0 for p in scores)
        # Threshold 0: the span group holds exactly doc.ents.
        assert [(s.start, s.end, s.label_) for s in group] == _ents(doc)
    # Trained to fit: the training entities are confident.
    assert min(nlp(TRAIN_DATA[3][0]).spans["ents_scored"].attrs["scores"]) > 0.5


def test_scores_survive_save_load_and_pipe(trained, tmp_path):
    _, nlp, _ = trained
    before = [list(doc.spans["ents_scored"].attrs["scores"]) for doc in nlp.pipe(TEXTS)]
    nlp.to_disk(tmp_path)
    loaded = spacy.load(tmp_path)
    after = [list(doc.spans["ents_scored"].attrs["scores"]) for doc in loaded.pipe(TEXTS, batch_size=2)]
    single = [list(loaded(text).spans["ents_scored"].attrs["scores"]) for text in TEXTS]
    for a, b, c in zip(before, after, single):
        assert a == pytest.approx(b, abs=1e-5) and a == pytest.approx(c, abs=1e-5)


def test_threshold_trades_recall_for_precision(trained, tmp_path):
    _, nlp, _ = trained
    nlp.to_disk(tmp_path)
    plain = spacy.load(tmp_path, config={"components": {"bilstm_crf_ner": {"spans_key": None}}})
    zero = spacy.load(tmp_path)
    strict = spacy.load(tmp_path, config={"components": {"bilstm_crf_ner": {"threshold": 1.0}}})
    for text in TEXTS:
        doc_plain, doc_zero, doc_strict = plain(text), zero(text), strict(text)
        assert "ents_scored" not in doc_plain.spans
        assert _ents(doc_zero) == _ents(doc_plain)
        kept = [
            (s.start, s.end, s.label_)
            for s, p in zip(doc_strict.spans["ents_scored"], doc_strict.spans["ents_scored"].attrs["scores"])
            if p >= 1.0
        ]
        assert _ents(doc_strict) == kept
        assert len(doc_strict.spans["ents_scored"]) == len(doc_zero.ents)


def test_threshold_needs_scores():
    nlp = spacy.blank("en")
    with pytest.raises(ValueError, match="spans_key"):
        nlp.add_pipe("bilstm_crf_ner", config={"spans_key": None, "threshold": 0.5})
    with pytest.raises(ValueError, match="threshold"):
        nlp.add_pipe("bilstm_crf_ner", name="other", config={"threshold": 1.5})


def test_temperature_softens_scores_and_keeps_entities(tmp_path):
    """Temperature scaling changes only the probabilities: same entities,
    scores closer to 0.5 when T > 1, and it survives a round trip."""
    nlp, _ = train_nlp(ARCHS[2], n_iter=30)
    texts = [text for text, _ in TRAIN_DATA]
    base = list(nlp.pipe(texts))
    ner = nlp.get_pipe("bilstm_crf_ner")
    ner.temperature = 3.0
    warm = list(nlp.pipe(texts))
    assert [[(e.start, e.end, e.label_) for e in d.ents] for d in warm] == \
        [[(e.start, e.end, e.label_) for e in d.ents] for d in base]
    pairs = [
        (p, q)
        for cold, hot in zip(base, warm)
        for p, q in zip(cold.spans["ents_scored"].attrs["scores"], hot.spans["ents_scored"].attrs["scores"])
    ]
    assert pairs
    assert all(abs(q - 0.5) <= abs(p - 0.5) + 1e-6 for p, q in pairs)
    # Softer, not the same: a confident entity moves towards 0.5.
    assert any(abs(q - 0.5) < abs(p - 0.5) - 1e-3 for p, q in pairs)
    # As users set it: a config override at load time, kept when saved.
    nlp.to_disk(tmp_path / "model")
    tuned = spacy.load(tmp_path / "model", config={"components": {"bilstm_crf_ner": {"temperature": 3.0}}})
    tuned.to_disk(tmp_path / "tuned")
    loaded = spacy.load(tmp_path / "tuned")
    assert loaded.get_pipe("bilstm_crf_ner").temperature == 3.0
    assert [d.spans["ents_scored"].attrs["scores"] for d in loaded.pipe(texts)] == \
        [d.spans["ents_scored"].attrs["scores"] for d in warm]
    with pytest.raises(ValueError, match="E009"):
        spacy.blank("en").add_pipe("bilstm_crf_ner", config={"temperature": 0.0})
