"""Smoke test of benchmarks.bench_ner on the embedded BC5CDR sample: train
(a few steps, the BiLSTM-CRF config and spaCy's ner config), speed (one round)
and report, and bench_unseen on the trained models, all through the CLI as a
user runs them."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
from spacy.tokens import DocBin
from spacy.vocab import Vocab

# Several `spacy train` subprocesses: about 1-2 min on an idle 2-core machine, more under load.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "assets" / "bc5cdr_sample"


def _run(*args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_ner", *args], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def test_bench_ner_train_speed_report(tmp_path):
    data = {}
    for split, name in (("train", "train.tsv"), ("dev", "dev.tsv")):
        data[split] = tmp_path / f"{split}.spacy"
        subprocess.run(
            [sys.executable, "-m", "spacy_bilstm_crf", "convert", str(SAMPLE / name), str(data[split]), "-f", "tsv"],
            cwd=REPO, check=True, capture_output=True,
        )
    work = tmp_path / "work"
    common = [
        "--corpus", "bc5cdr", "--work-dir", str(work), "--max-minutes", "5",
        "--train-path", str(data["train"]), "--dev-path", str(data["dev"]),
        "--set", "training.max_steps=4", "--set", "training.eval_frequency=2",
    ]
    dev_entities = sum(len(doc.ents) for doc in DocBin().from_disk(data["dev"]).get_docs(Vocab()))
    for model in ("spacy_ner", "bilstm_crf"):
        _run("train", "--model", model, *common)
        result = json.loads((work / "results" / f"ner_bc5cdr_{model}.json").read_text())
        assert result["steps"] == 4
        assert result["stopped_by"] == "max_steps/patience"
        assert 0.0 <= result["dev"]["ents_f"] <= 1.0
        # every dev entity is in one of the two groups, and the sample has both
        split = result["dev"]["seen_unseen"]
        assert split["seen"]["gold"] + split["unseen"]["gold"] == dev_entities
        assert split["seen"]["gold"] > 0 and split["unseen"]["gold"] > 0
        assert result["peak_rss_mib"] > 0 and result["model_best_bytes"] > 0
        assert (work / "runs" / f"bc5cdr_{model}" / "output" / "model-best").is_dir()
    # bench_unseen scores the same models alike, in one run
    unseen_json = tmp_path / "unseen.json"
    models = [str(work / "runs" / f"bc5cdr_{m}" / "output" / "model-best") for m in ("spacy_ner", "bilstm_crf")]
    subprocess.run([sys.executable, "-m", "benchmarks.bench_unseen", str(data["train"]), str(data["dev"]),
                    *models, "--name", "bc5cdr", "--output", str(unseen_json)], cwd=REPO, check=True, capture_output=True)
    for model, scored in zip(("spacy_ner", "bilstm_crf"), json.loads(unseen_json.read_text())["models"]):
        result = json.loads((work / "results" / f"ner_bc5cdr_{model}.json").read_text())
        assert scored["overall"]["f"] == pytest.approx(100 * result["dev"]["ents_f"])
        assert scored["unseen"]["gold"] == result["dev"]["seen_unseen"]["unseen"]["gold"]
        assert scored["unseen"]["f"] == pytest.approx(100 * result["dev"]["seen_unseen"]["unseen"]["f"])
    # A finished run is skipped.
    assert "already done" in _run("train", "--model", "bilstm_crf", *common)
    # A run whose scoring was lost is scored again from its model-best and log, without training.
    result_path = work / "results" / "ner_bc5cdr_bilstm_crf.json"
    trained = json.loads(result_path.read_text())
    result_path.unlink()
    _run("train", "--model", "bilstm_crf", *common, "--score-only")
    rescored = json.loads(result_path.read_text())
    assert rescored["scored_later"] is True and trained["scored_later"] is False
    assert rescored["dev"]["ents_f"] == trained["dev"]["ents_f"] and rescored["steps"] == trained["steps"] == 4
    assert rescored["peak_rss_mib"] > 0 and rescored["cpu_s"] > 0
    _run("speed", "--corpus", "bc5cdr", "--work-dir", str(work), "--dev-path", str(data["dev"]), "--rounds", "1")
    speed = json.loads((work / "results" / "ner_speed_bc5cdr.json").read_text())
    ours = speed["models"]["bc5cdr_bilstm_crf"]
    assert ours["wps_1p"] > 0 and ours["wps_2p"] > 0 and ours["ratio_vs_spacy_1p"] > 0
    out = tmp_path / "report.md"
    _run("report", "--results", str(work / "results"), "--output", str(out))
    text = out.read_text()
    assert "bc5cdr_bilstm_crf" in text and "bc5cdr_spacy_ner" in text and "words/s" in text
