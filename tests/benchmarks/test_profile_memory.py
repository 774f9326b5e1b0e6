"""benchmarks.profile_memory on the embedded BC5CDR sample: every phase of
our component's update is measured, spaCy's ner is measured as whole updates."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc files"),
              pytest.mark.timeout(600)]

REPO = Path(__file__).resolve().parents[2]
# Measured updates after the warm-up: two are enough to rank them (top_updates); each traced one costs seconds.
STEPS, WARMUP = 3, 1


@pytest.fixture(scope="module")
def train_path(bc5cdr_sample) -> Path:
    return bc5cdr_sample["train"]


def _profile(config: str, train_path: Path, output: Path, *extra: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.profile_memory", config, str(train_path), "--steps", str(STEPS),
         "--warmup", str(WARMUP), "--batch-words", "300", "--output", str(output), *extra],
        cwd=REPO, capture_output=True, text=True, timeout=500,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(output.read_text())


def test_profile_measures_each_phase_of_our_update(train_path, tmp_path):
    result = _profile("configs/bilstm_crf.cfg", train_path, tmp_path / "ours.json")
    assert result["ours"] is True
    phases = result["phases"]
    for name in ("forward (tok2vec + BiLSTM)", "backward (BiLSTM + tok2vec)", "gold alignment",
                 "loss (gold alignment + CRF forward-backward)", "optimizer step + averages", "whole update"):
        assert phases[name]["calls"] == STEPS - WARMUP, name
    whole = phases["whole update"]
    # The whole update holds every phase: its peaks are at least each of theirs.
    for name, phase in phases.items():
        assert whole["rss_peak_mib_max"] >= phase["rss_peak_mib_max"] - 1e-6, name
        assert whole["traced_peak_mib_max"] >= phase["traced_peak_mib_max"] - 1e-6, name
    assert whole["traced_peak_mib_max"] > 0 and whole["cpu_ms_median"] > 0
    static = result["static"]
    assert static["params_mib"] > 0 and static["adam_mom1_mib"] > 0 and static["averages_mib"] > 0
    assert len(result["rss_curve"]) == STEPS
    # The measured updates, highest peak first, with their batches' shape.
    top = result["top_updates"]
    assert sorted(row["step"] for row in top) == list(range(WARMUP + 1, STEPS + 1))
    assert [row["whole update"] for row in top] == sorted((row["whole update"] for row in top), reverse=True)
    for row in top:
        assert row["words"] > 0 and row["docs"] > 0 and row["sentences"] >= row["docs"]
        assert 0 < row["longest_sentence"] <= row["longest_doc"]
        assert row["updates_since_trim"] == (row["step"] - 1) % 50  # the config's release_memory_every


def test_profile_of_spacy_ner_measures_whole_updates_untraced(train_path, tmp_path):
    result = _profile("configs/spacy_ner.cfg", train_path, tmp_path / "spacy.json", "--no-trace")
    assert result["ours"] is False and result["traced"] is False
    assert list(result["phases"]) == ["whole update"]
    whole = result["phases"]["whole update"]
    assert whole["calls"] == STEPS - WARMUP and whole["cpu_ms_median"] > 0
    assert not any(key.startswith("traced") for key in whole) and result["traced_growth"] == []
