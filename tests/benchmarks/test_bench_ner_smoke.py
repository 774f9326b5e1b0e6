"""Smoke test of benchmarks.bench_ner on the embedded BC5CDR sample: train
(a few steps, the BiLSTM-CRF config and spaCy's ner config), speed (one round)
and report, and bench_unseen on the trained models, all through the CLI as a
user runs them: `train` and `speed` in their own processes (their peak memory
and their worker processes are part of what they measure), the commands that
only read results or score saved pipelines in this one (typer's runner)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
from spacy.tokens import DocBin
from spacy.vocab import Vocab
import typer
from typer.testing import CliRunner

from benchmarks import bench_ner, bench_unseen

# Several `spacy train` subprocesses: about 1-2 min on an idle 2-core machine, more under load.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[2]


def _run(*args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_ner", *args], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def _invoke(app: typer.Typer, *args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, (result.output[-3000:], result.exception)
    return result.output


def test_bench_ner_train_speed_report(bc5cdr_sample, tmp_path):
    data = bc5cdr_sample
    bench = bench_ner.app
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
    unseen = typer.Typer(add_completion=False)
    unseen.command()(bench_unseen.main)  # the script's `typer.run(main)`
    _invoke(unseen, str(data["train"]), str(data["dev"]), *models, "--name", "bc5cdr",
            "--output", str(unseen_json))
    for model, scored in zip(("spacy_ner", "bilstm_crf"), json.loads(unseen_json.read_text())["models"]):
        result = json.loads((work / "results" / f"ner_bc5cdr_{model}.json").read_text())
        assert scored["overall"]["f"] == pytest.approx(100 * result["dev"]["ents_f"])
        assert scored["unseen"]["gold"] == result["dev"]["seen_unseen"]["unseen"]["gold"]
        assert scored["unseen"]["f"] == pytest.approx(100 * result["dev"]["seen_unseen"]["unseen"]["f"])
    # A finished run is skipped.
    assert "already done" in _invoke(bench, "train", "--model", "bilstm_crf", *common)
    # A run whose scoring was lost is scored again from its model-best and log, without training.
    result_path = work / "results" / "ner_bc5cdr_bilstm_crf.json"
    trained = json.loads(result_path.read_text())
    result_path.unlink()
    _invoke(bench, "train", "--model", "bilstm_crf", *common, "--score-only")
    rescored = json.loads(result_path.read_text())
    assert rescored["scored_later"] is True and trained["scored_later"] is False
    assert rescored["dev"]["ents_f"] == trained["dev"]["ents_f"] and rescored["steps"] == trained["steps"] == 4
    assert rescored["peak_rss_mib"] > 0 and rescored["cpu_s"] > 0
    _run("speed", "--corpus", "bc5cdr", "--work-dir", str(work), "--dev-path", str(data["dev"]), "--rounds", "1")
    speed = json.loads((work / "results" / "ner_speed_bc5cdr.json").read_text())
    ours = speed["models"]["bc5cdr_bilstm_crf"]
    assert ours["wps_1p"] > 0 and ours["wps_2p"] > 0 and ours["ratio_vs_spacy_1p"] > 0
    out = tmp_path / "report.md"
    _invoke(bench, "report", "--results", str(work / "results"), "--output", str(out))
    text = out.read_text()
    assert "bc5cdr_bilstm_crf" in text and "bc5cdr_spacy_ner" in text and "words/s" in text
