"""Backward compatibility: pipelines saved by an earlier version load and
predict the same. Each folder in tests/fixtures/compat_pipeline_*/ was written
once by tests/fixtures/make_compat_pipeline.py with the code of its time:
v1 before the layout refactor of issue 16, v2 before the older builders moved
to spacy_bilstm_crf/ml/legacy.py (one pipeline per registered builder), v3
when BiLSTMCRFTagger.v4 (no projection) and WordEmbed.v1 were new."""
import json
from pathlib import Path

import pytest
import spacy

FIXTURES = Path(__file__).parent / "fixtures"
EXPECTED = {
    fixture: json.loads((FIXTURES / fixture / "expected.json").read_text(encoding="utf8"))
    for fixture in ("compat_pipeline_v1", "compat_pipeline_v2", "compat_pipeline_v3")
}
CASES = [(fixture, name) for fixture, pipelines in EXPECTED.items() for name in sorted(pipelines)]


@pytest.mark.parametrize("fixture,name", CASES)
def test_saved_pipeline_predicts_the_same(fixture, name):
    nlp = spacy.load(FIXTURES / fixture / name)
    assert nlp.pipe_names == ["sentencizer", "bilstm_crf_ner"]
    rows = EXPECTED[fixture][name]
    for doc, row in zip(nlp.pipe([row["text"] for row in rows]), rows):
        assert doc.text == row["text"]
        assert [[e.start_char, e.end_char, e.label_] for e in doc.ents] == row["ents"]
        group = doc.spans["ents_scored"]
        assert [[s.start_char, s.end_char, s.label_] for s in group] == row["scored"]
        assert list(group.attrs["scores"]) == pytest.approx(row["scores"], rel=0, abs=1e-6)


@pytest.mark.parametrize("fixture", sorted(EXPECTED))
def test_fixture_has_predictions_to_check(fixture):
    # A fixture that predicts nothing would check nothing.
    for name, rows in EXPECTED[fixture].items():
        assert sum(len(row["ents"]) for row in rows) >= 3, name


def test_fixtures_cover_every_registered_builder():
    saved = {
        spacy.util.load_config(FIXTURES / fixture / name / "config.cfg")
        ["components"]["bilstm_crf_ner"]["model"]["@architectures"]
        for fixture, name in CASES
    }
    assert saved == {
        "spacy-bilstm-crf.BiLSTMTagger.v1", "spacy-bilstm-crf.BiLSTMTagger.v2",
        "spacy-bilstm-crf.BiLSTMLSTMTagger.v1", "spacy-bilstm-crf.BiLSTMLSTMTagger.v2",
        "spacy-bilstm-crf.BiLSTMCRFTagger.v1", "spacy-bilstm-crf.BiLSTMCRFTagger.v2",
        "spacy-bilstm-crf.BiLSTMCRFTagger.v3", "spacy-bilstm-crf.BiLSTMCRFTagger.v4",
    }
