"""The spaCy project (project.yml) end to end, on a tiny setting, offline.

A temp copy of project.yml, configs/, scripts/ and a 20-sentence cut of the shipped BC5CDR sample runs
`python -m spacy project run all` with very few steps; the transformer step uses a tiny random
BERT written here (approach of tests/test_transformer.py) and bilstm_crf_vectors a tiny vectors
folder of the sample's words (the `vectors` step keeps it instead of building 400,000 GloVe rows). Then: every output exists, each
trained pipeline loads, the table lists every model, seqeval agrees with spaCy's scorer, a
rerun skips every step, and the `transfer` workflow runs on a tiny CoNLL-format corpus.
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import numpy
import pytest
import spacy

from helpers.ner import write_tiny_bert
from spacy_bilstm_crf.vectors import vectors_pipeline

pytest.importorskip("spacy_transformers")
pytest.importorskip("transformers")
pytest.importorskip("seqeval")
pytest.importorskip("matplotlib")

# Eleven `spacy train` runs (two updates each) and their evaluations: most of the time is process starts.
pytestmark = pytest.mark.timeout(1800)

ROOT = Path(__file__).parent.parent
MODELS = [
    "bilstm", "bilstm_lstm", "bilstm_crf", "bilstm_crf_oversample", "bilstm_crf_chars", "bilstm_crf_vectors",
    "spacy_ner", "transformer_crf",
]
CORPUS = "bc5cdr_sample"
N_SENTENCES = 20
OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
TIMEOUT = 1500


def first_sentences(path: Path, n: int) -> str:
    """The first n blank-line-separated sentences of a token-per-line file."""
    blocks = path.read_text(encoding="utf8").split("\n\n")
    return "\n\n".join(blocks[:n]) + "\n\n"


def write_tiny_conll(path: Path, n: int) -> None:
    """A CoNLL-2003-format file (IOB1, -DOCSTART- docs) with PER/LOC/ORG sentences."""
    people, places, orgs = ["John Smith", "Maria", "Peter Blackburn"], ["Berlin", "New York", "Paris"], ["EU", "Reuters"]
    lines = []
    for i in range(n):
        if i % 5 == 0:
            lines += ["-DOCSTART- -X- O O", ""]
        per, loc, org = people[i % 3], places[(i + 1) % 3], orgs[i % 2]
        tokens = [(w, "I-PER") for w in per.split()] + [("told", "O")] + [(w, "I-ORG") for w in org.split()]
        tokens += [("in", "O")] + [(w, "I-LOC") for w in loc.split()] + [(".", "O")]
        lines += [f"{w} NNP I-NP {tag}" for w, tag in tokens] + [""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf8")


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A runnable copy of the project with a 20-sentence cut of the sample and a tiny BERT."""
    root = tmp_path_factory.mktemp("project")
    shutil.copy(ROOT / "project.yml", root / "project.yml")
    shutil.copytree(ROOT / "configs", root / "configs")
    shutil.copytree(ROOT / "scripts", root / "scripts", ignore=shutil.ignore_patterns("__pycache__"))
    sample = root / "assets" / CORPUS
    sample.mkdir(parents=True)
    words = []
    for name in ("train.tsv", "dev.tsv"):
        text = first_sentences(ROOT / "assets" / CORPUS / name, N_SENTENCES)
        (sample / name).write_text(text, encoding="utf8")
        words += [line.split("\t")[0] for line in text.splitlines() if line.strip()]
    write_tiny_bert(root / "tiny_bert", words)
    vocab = sorted({w.lower() for w in words})
    table = numpy.random.default_rng(0).normal(size=(len(vocab), 8)).astype("float32")
    vectors_pipeline(vocab, table, name="tiny_vectors").to_disk(root / "tiny_vectors")
    write_tiny_conll(root / "assets" / "conll2003" / "train.txt", 30)
    write_tiny_conll(root / "assets" / "conll2003" / "dev.txt", 10)
    return root


def tiny_vars(project: Path) -> List[str]:
    settings: Dict[str, object] = {
        # Two updates and three evaluations (steps 0, 1, 2) per training: a model-best, a model-last and a
        # log; nothing checked here depends on how much a model learns.
        "max_steps": 2, "eval_frequency": 1,
        "transformer_max_steps": 2, "transformer_eval_frequency": 1,
        "transformer_model": str(project / "tiny_bert"), "transformer_window": 64, "transformer_stride": 48,
        "viz_docs": 2, "source_max_steps": 2, "transfer_max_steps": 2,
        "vectors": str(project / "tiny_vectors"),
    }
    return [arg for k, v in settings.items() for arg in (f"--vars.{k}", str(v))]


def run_project(project: Path, workflow: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **OFFLINE, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "spacy", "project", "run", workflow, str(project), *tiny_vars(project)]
    result = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 0, f"{workflow} failed:\n{result.stdout[-6000:]}\n{result.stderr[-6000:]}"
    return result


@pytest.fixture(scope="module")
def ran_all(project) -> subprocess.CompletedProcess:
    return run_project(project, "all")


def test_all_writes_every_output_and_models_load(project, ran_all):
    for split in ("train", "dev"):
        assert (project / "corpus" / CORPUS / f"{split}.spacy").stat().st_size > 0
    metrics = project / "metrics" / CORPUS
    for model in MODELS:
        out = project / "training" / CORPUS / model
        nlp = spacy.load(out / "model-best")
        assert nlp("Selegiline induced postural hypotension .") is not None
        log = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
        assert log and all("ents_f" in entry["scores"] for entry in log)
        assert json.loads((out / "train_meta.json").read_text())["train_seconds"] > 0
        result = json.loads((metrics / f"{model}.json").read_text())
        assert result["seqeval_spacy_agree"], (model, result["seqeval_spacy_max_difference"])
        assert 0.0 <= result["entities"]["f"] <= 1.0 and result["words_per_second"] > 0
    # The vectors step kept the given folder, and the vectors model trained on (and saved) its table.
    assert "already holds" in ran_all.stdout and not (project / "vectors").exists()
    vectors = spacy.load(project / "training" / CORPUS / "bilstm_crf_vectors" / "model-best").vocab.vectors
    assert vectors.name == "tiny_vectors" and vectors.shape[1] == 8
    table = (metrics / "comparison.md").read_text()
    for model in MODELS:
        assert f"| {model} |" in table
    for png in ("training_curves.png", "f1_per_type.png", "confusion.png"):
        assert (metrics / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (metrics / "displacy.html").read_text()
    assert "Gold" in page and "Predicted" in page and 'doc.spans["ents_scored"]' in page
    package = project / "packages" / "en_ner_bilstm_crf-0.0.1"
    assert list((package / "dist").glob("*.tar.gz"))
    chosen = json.loads((package / "chosen.json").read_text())
    assert chosen["model"] in MODELS


def test_rerun_skips_finished_steps(project, ran_all):
    result = run_project(project, "all")
    for step in ["convert", "vectors", *[f"train-{m}" for m in MODELS], "evaluate", "compare", "visualize", "package"]:
        assert f"Skipping '{step}': nothing changed" in result.stdout, step


def test_transfer_workflow(project, ran_all):
    run_project(project, "transfer")
    report = json.loads((project / "metrics" / CORPUS / "transfer_from_conll2003.json").read_text())
    assert report["source_labels"] == ["LOC", "ORG", "PER"]
    assert report["target_labels"] == ["Chemical", "Disease"]
    for run in ("finetuned", "scratch"):
        assert 0.0 <= report[run]["f"] <= 1.0
        nlp = spacy.load(project / "training" / CORPUS / "transfer_from_conll2003" / run / "model-best")
        assert nlp.get_pipe("bilstm_crf_ner").labels == ("Chemical", "Disease")


def test_screenshot_renders_the_page(project, ran_all, tmp_path):
    from scripts.screenshot import find_chromium, screenshot

    binary = find_chromium()
    if binary is None:
        pytest.skip("Chromium is not installed (apt-get install -y chromium): no browser check of displacy.html")
    png = screenshot(project / "metrics" / CORPUS / "displacy.html", tmp_path / "page.png", binary)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_project_models_and_corpora_come_from_the_catalog():
    """project.yml cannot import scripts/catalog.py: its model list and configs must agree with it."""
    import srsly

    from scripts.catalog import CORPORA, PROJECT_MODELS, project_config

    project_yml = srsly.read_yaml(ROOT / "project.yml")
    assert project_yml["vars"]["models"] == ",".join(PROJECT_MODELS)
    assert tuple(MODELS) == PROJECT_MODELS
    commands = {c["name"]: c for c in project_yml["commands"]}
    for model in PROJECT_MODELS:
        script = " ".join(commands[f"train-{model}"]["script"])
        assert f" {project_config(model)} " in script, model
    assert project_yml["vars"]["corpus"] in CORPORA and project_yml["vars"]["source_corpus"] in CORPORA


def files(folder: Path) -> Dict[Path, bytes]:
    return {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def test_vectors_step_keeps_vectors_and_refuses_other_folders(tmp_path, capsys):
    """The `vectors` step never overwrites: a folder that holds vectors (the user's own) is kept byte for
    byte; a pipeline without vectors and a non-empty other folder are refused, before GloVe is read."""
    from scripts.glove_vectors import main

    own = tmp_path / "own"
    vectors_pipeline(["cell", "dose"], numpy.ones((2, 3), dtype="float32"), name="own").to_disk(own)
    before = files(own)
    main(own, name="glove_6b_50d", overwrite=False)
    assert files(own) == before
    assert "already holds 2 vectors x 3 (own): kept" in " ".join(capsys.readouterr().out.split())
    spacy.blank("en").to_disk(tmp_path / "blank")
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine", encoding="utf8")
    for folder, expected in ((tmp_path / "blank", "a spaCy pipeline without vectors"), (other, "[E465]")):
        with pytest.raises(SystemExit):
            main(folder, name="glove_6b_50d", overwrite=False)
        assert expected in " ".join(capsys.readouterr().out.split()), folder
    assert files(other) == {other / "notes.txt": b"mine"}
