"""n-best analyses, label alternatives and uncertainty of `bilstm_crf_ner`."""
import math

import pytest
import spacy

from helpers.ner import ARCHS, TRAIN_DATA, train_nlp

TEXTS = [text for text, _ in TRAIN_DATA] + ["Berlin and Shaka lives in London Khan. I like Zürich.", ""]
SETTINGS = {"n_best": 4, "uncertainty": True, "alternatives": True}


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A trained CRF pipeline with a sentencizer, saved with the defaults."""
    nlp, _ = train_nlp(ARCHS[2], n_iter=30)
    nlp.add_pipe("sentencizer", first=True)
    path = tmp_path_factory.mktemp("nbest") / "model"
    nlp.to_disk(path)
    return path


def _analyses(doc, n=4):
    return [
        ([(s.start, s.end, s.label_) for s in doc.spans[f"ents_nbest_{r}"]],
         doc.spans[f"ents_nbest_{r}"].attrs["probabilities"])
        for r in range(n)
    ]


def _everything(doc):
    group = doc.spans["ents_scored"]
    return _analyses(doc), dict(group.attrs)


def _same(a, b):
    """Identical spans and order; probabilities equal up to float noise."""
    (analyses_a, attrs_a), (analyses_b, attrs_b) = a, b
    assert [spans for spans, _ in analyses_a] == [spans for spans, _ in analyses_b]
    for (_, pa), (_, pb) in zip(analyses_a, analyses_b):
        assert [p is None for p in pa] == [p is None for p in pb]
        assert [p for p in pa if p is not None] == pytest.approx([p for p in pb if p is not None], abs=1e-5)
    assert attrs_a["uncertainty"]["entropy"] == pytest.approx(attrs_b["uncertainty"]["entropy"], abs=1e-5)
    assert [list(d) for d in attrs_a["alternatives"]] == [list(d) for d in attrs_b["alternatives"]]


def test_nbest_groups(saved):
    nlp = spacy.load(saved, config={"components": {"bilstm_crf_ner": SETTINGS}})
    plain = spacy.load(saved)
    for doc, base in zip(nlp.pipe(TEXTS), plain.pipe(TEXTS)):
        # The best analysis is what the component decodes, and n_best
        # does not change the entities or their scores.
        assert [(e.start, e.end, e.label_) for e in doc.ents] == [(e.start, e.end, e.label_) for e in base.ents]
        assert doc.spans["ents_scored"].attrs["scores"] == pytest.approx(
            base.spans["ents_scored"].attrs["scores"], abs=1e-5)
        analyses = _analyses(doc)
        assert analyses[0][0] == [(e.start, e.end, e.label_) for e in doc.ents]
        sequences = doc.spans["ents_nbest_0"].attrs["sequences"]
        assert [s for s, _ in sequences] == ([0] if len(doc) == 0 else [s.start for s in doc.sents])
        for i in range(len(sequences)):
            probs = [p[i] for _, p in analyses if p[i] is not None]
            assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1 + 1e-6
        # Analyses differ from each other (sequence by sequence).
        if len(doc):
            assert analyses[0][0] != analyses[1][0] or len(sequences) > 1


def test_alternatives_and_uncertainty(saved):
    nlp = spacy.load(saved, config={"components": {"bilstm_crf_ner": SETTINGS}})
    labels = set(nlp.get_pipe("bilstm_crf_ner").labels)
    for doc in nlp.pipe(TEXTS):
        group = doc.spans["ents_scored"]
        assert len(group.attrs["alternatives"]) == len(group)
        for span, score, alts in zip(group, group.attrs["scores"], group.attrs["alternatives"]):
            assert set(alts) == labels
            assert alts[span.label_] == pytest.approx(score, abs=1e-5)
            assert sum(alts.values()) <= 1 + 1e-5
        unc = group.attrs["uncertainty"]
        seqs = unc["sequences"]
        for seq, prob in zip(seqs, doc.spans["ents_nbest_0"].attrs["probabilities"]):
            assert seq["best_probability"] == pytest.approx(prob, abs=1e-6)
            second = doc.spans["ents_nbest_1"].attrs["probabilities"][seqs.index(seq)] or 0.0
            assert seq["margin"] == pytest.approx(prob - second, abs=1e-6)
            assert seq["entropy"] >= 0
        assert unc["best_probability"] == pytest.approx(math.prod(s["best_probability"] for s in seqs))
        assert unc["entropy"] == pytest.approx(sum(s["entropy"] for s in seqs))
        assert 0 <= unc["margin"] <= unc["best_probability"]


def test_save_load_pipe_and_two_processes_agree(saved, tmp_path):
    nlp = spacy.load(saved, config={"components": {"bilstm_crf_ner": SETTINGS}})
    single = [_everything(nlp(text)) for text in TEXTS]
    piped = [_everything(doc) for doc in nlp.pipe(TEXTS, batch_size=3)]
    nlp.to_disk(tmp_path / "tuned")
    loaded = spacy.load(tmp_path / "tuned")
    ner = loaded.get_pipe("bilstm_crf_ner")
    assert (ner.n_best, ner.uncertainty, ner.alternatives) == (4, True, True)
    reloaded = [_everything(doc) for doc in loaded.pipe(TEXTS)]
    forked = [_everything(doc) for doc in loaded.pipe(TEXTS * 4, n_process=2, batch_size=4)]
    for a, b, c, d in zip(single, piped, reloaded, forked):
        _same(a, b)
        _same(a, c)
        _same(a, d)


def test_pipeline_saved_before_the_settings_loads(saved, tmp_path):
    """A pipeline whose config predates n_best loads with the defaults."""
    nlp = spacy.load(saved)
    nlp.to_disk(tmp_path / "old")
    config = (tmp_path / "old" / "config.cfg").read_text(encoding="utf8")
    for key in ("n_best", "nbest_key", "uncertainty", "alternatives"):
        config = "\n".join(line for line in config.splitlines() if not line.startswith(f"{key} ="))
    (tmp_path / "old" / "config.cfg").write_text(config, encoding="utf8")
    assert "n_best" not in config
    old = spacy.load(tmp_path / "old")
    assert old.get_pipe("bilstm_crf_ner").n_best == 1
    doc = old(TEXTS[3])
    assert not any(key.startswith("ents_nbest") for key in doc.spans)
    assert [(e.start, e.end) for e in doc.ents] == [(e.start, e.end) for e in nlp(TEXTS[3]).ents]


def test_softmax_head_nbest_is_valid():
    nlp, _ = train_nlp(ARCHS[0], n_iter=20)
    ner = nlp.get_pipe("bilstm_crf_ner")
    ner.n_best, ner.uncertainty = 5, True
    for doc in nlp.pipe(TEXTS):
        analyses = _analyses(doc, 5)
        assert analyses[0][0] == [(e.start, e.end, e.label_) for e in doc.ents]
        if len(doc):
            assert len({tuple(spans) for spans, _ in analyses}) == 5
        assert all(len(doc[s:e]) for spans, _ in analyses for s, e, _ in spans)


@pytest.mark.parametrize(
    "config,code",
    [({"n_best": 0}, "E040"), ({"n_best": "3"}, None), ({"uncertainty": True, "spans_key": None}, "E041"),
     ({"alternatives": True, "spans_key": None}, "E041"),
     ({"n_best": 2, "nbest_key": "ents", "spans_key": "ents_scored"}, "E042")],
)
def test_bad_settings_are_rejected(config, code):
    nlp = spacy.blank("en")
    with pytest.raises(Exception) as err:
        nlp.add_pipe("bilstm_crf_ner", config=config)
    if code is not None:
        assert code in str(err.value)
    else:  # a string where an int is expected: spaCy's config validation
        assert "n_best" in str(err.value)


def test_settings_round_trip_in_the_config(saved, tmp_path):
    nlp = spacy.load(saved, config={"components": {"bilstm_crf_ner": {"n_best": 3, "nbest_key": "alt"}}})
    nlp.to_disk(tmp_path / "m")
    loaded = spacy.load(tmp_path / "m")
    assert loaded.config["components"]["bilstm_crf_ner"]["n_best"] == 3
    assert "alt_2" in loaded(TEXTS[3]).spans
