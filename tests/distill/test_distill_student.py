"""The student side of distillation, as the `distill` workflow trains it: configs/bilstm_crf_vectors.cfg
with [corpora.train] made spacy-bilstm-crf.SilverCorpus.v1 by the `distill-train` step's overrides. A
student trained on what the `distill` command wrote learns what only the silver teaches (the silver
reaches training)."""
from pathlib import Path

import numpy
import pytest
import spacy
from spacy.cli._util import parse_config_overrides
from spacy.cli.debug_config import debug_config
from spacy.cli.train import train
from spacy.tokens import Doc, DocBin
from typer.testing import CliRunner
from weasel.util import load_project_config

from spacy_bilstm_crf.cli import app
from spacy_bilstm_crf.vectors import vectors_pipeline

ROOT = Path(__file__).parent.parent.parent
STUDENT = ROOT / "configs" / "bilstm_crf_vectors.cfg"
NAMES = ["Anna", "Bob", "Carl", "Dora", "Emil"]
# The teacher (an entity_ruler) labels the made-up word "Zorblax" PROD; gold has PROD
# only for lower-case words, so only the silver can teach it.
SILVER_TEXT = ["We sold Zorblax yesterday .", "Anna bought Zorblax .", "Zorblax is cheap .", "Bob likes his Zorblax ."]
# Small and without dropout: a few dozen steps fit the toy task.
TINY = {
    "components.bilstm_crf_ner.model.width": 16,
    "components.bilstm_crf_ner.model.dropout": 0.0,
    "components.bilstm_crf_ner.model.spatial_dropout": 0.0,
    "components.bilstm_crf_ner.model.word_dropout": 0.0,
    # the unknown-word row learns from a few dozen tokens only if it is read often
    "components.bilstm_crf_ner.model.tok2vec.*.words.unknown_rate": 0.2,
    "components.bilstm_crf_ner.model.tok2vec.*.chars.width": 8,
    "components.bilstm_crf_ner.model.tok2vec.*.chars.embed_width": 8,
    "training.dropout": 0.0,
    "training.optimizer.learn_rate": 0.01,
    "training.max_steps": 40,
    "training.eval_frequency": 20,
    "training.patience": 0,
}


def workflow_overrides(silver: str) -> dict:
    """The config overrides of the project's `distill-train` step, its silver set replaced by `silver`."""
    commands = {c["name"]: c for c in load_project_config(ROOT)["commands"]}
    args = commands["distill-train"]["script"][0].split()
    assert args[3] == "configs/bilstm_crf_vectors.cfg"
    overrides = parse_config_overrides(args[args.index("--corpora.train.@readers"):])
    assert set(overrides) == {"corpora.train.@readers", "corpora.train.silver_path"}
    return {**overrides, "corpora.train.silver_path": silver}


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict:
    """Gold (PER, PROD) DocBins, tiny vectors, and the silver set the `distill` command writes."""
    path = tmp_path_factory.mktemp("student")
    nlp = spacy.blank("en")
    gold = [Doc(nlp.vocab, words=[name, "bought", product, "in", "Rome", "."], ents=["B-PER", "O", "B-PROD", "O", "O", "O"])
            for name, product in zip(NAMES * 2, ["fizzbo", "quanta", "mimsy"] * 4)]
    DocBin(docs=gold).to_disk(path / "gold.spacy")
    vocab = sorted({w.lower() for d in gold for w in d.text.split()} | {w.lower() for s in SILVER_TEXT for w in s.split()})
    table = numpy.random.default_rng(0).normal(size=(len(vocab), 8)).astype("float32")
    vectors_pipeline(vocab, table, name="tiny").to_disk(path / "vectors")
    teacher = spacy.blank("en")
    teacher.add_pipe("entity_ruler").add_patterns(
        [{"label": "PROD", "pattern": "Zorblax"}] + [{"label": "PER", "pattern": n} for n in NAMES])
    teacher.to_disk(path / "teacher")
    (path / "text.txt").write_text("\n".join(SILVER_TEXT * 5) + "\n", encoding="utf8")
    result = CliRunner().invoke(app, ["distill", str(path / "teacher"), str(path / "text.txt"), str(path / "silver")])
    assert result.exit_code == 0, result.output
    return {"paths.train": str(path / "gold.spacy"), "paths.dev": str(path / "gold.spacy"),
            "paths.vectors": str(path / "vectors"), **workflow_overrides(str(path / "silver"))}


def test_student_config_debugs(data: dict):
    debug_config(STUDENT, overrides=data)
    config = spacy.util.load_config(STUDENT, overrides=data)
    assert config["corpora"]["train"]["@readers"] == "spacy-bilstm-crf.SilverCorpus.v1"


@pytest.mark.slow
def test_student_learns_what_only_the_silver_teaches(data: dict, tmp_path: Path):
    train(STUDENT, tmp_path, overrides={**data, **TINY})
    student = spacy.load(tmp_path / "model-last")
    assert student.get_pipe("bilstm_crf_ner").labels == ("PER", "PROD")
    for words in (["so", "we", "want", "Zorblax", "now", "."], ["Zorblax", "was", "sold", "."]):
        doc = student(Doc(student.vocab, words=words))
        assert [t.ent_type_ for t in doc] == ["PROD" if w == "Zorblax" else "" for w in words], \
            [(e.text, e.label_) for e in doc.ents]
