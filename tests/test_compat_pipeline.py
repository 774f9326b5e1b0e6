"""Backward compatibility: pipelines saved by an earlier version load and
predict the same (tests/fixtures/compat_pipeline_v1/, written by
tests/fixtures/make_compat_pipeline.py before the layout refactor of issue 16)."""
import json
from pathlib import Path

import pytest
import spacy

FIXTURE = Path(__file__).parent / "fixtures" / "compat_pipeline_v1"
EXPECTED = json.loads((FIXTURE / "expected.json").read_text(encoding="utf8"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_saved_pipeline_predicts_the_same(name):
    nlp = spacy.load(FIXTURE / name)
    assert nlp.pipe_names == ["sentencizer", "bilstm_crf_ner"]
    texts = [row["text"] for row in EXPECTED[name]]
    for doc, row in zip(nlp.pipe(texts), EXPECTED[name]):
        assert doc.text == row["text"]
        assert [[e.start_char, e.end_char, e.label_] for e in doc.ents] == row["ents"]
        group = doc.spans["ents_scored"]
        assert [[s.start_char, s.end_char, s.label_] for s in group] == row["scored"]
        assert list(group.attrs["scores"]) == pytest.approx(row["scores"], rel=0, abs=1e-6)


def test_fixture_has_predictions_to_check():
    # A fixture that predicts nothing would check nothing.
    for name, rows in EXPECTED.items():
        assert sum(len(row["ents"]) for row in rows) >= 3, name
