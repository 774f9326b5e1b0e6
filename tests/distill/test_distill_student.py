"""The student side of distillation: configs/distill_student.cfg is bilstm_crf_vectors.cfg
with the silver reader, and a student trained on what the `distill` command wrote learns
what only the silver teaches (the silver reaches training)."""
from pathlib import Path

import numpy
import pytest
import spacy
from spacy.cli.debug_config import debug_config
from spacy.cli.init_config import fill_config
from spacy.cli.train import train
from spacy.tokens import Doc, DocBin
from thinc.api import Config
from typer.testing import CliRunner

from spacy_bilstm_crf.cli import app
from spacy_bilstm_crf.vectors import vectors_pipeline

CONFIGS = Path(__file__).parent.parent.parent / "configs"
STUDENT = CONFIGS / "distill_student.cfg"
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
    "components.bilstm_crf_ner.model.tok2vec.*.hash.width": 16,
    "components.bilstm_crf_ner.model.tok2vec.*.hash.rows": [500, 100, 100, 100],
    "components.bilstm_crf_ner.model.tok2vec.*.chars.width": 8,
    "components.bilstm_crf_ner.model.tok2vec.*.chars.embed_width": 8,
    "training.dropout": 0.0,
    "training.optimizer.learn_rate": 0.01,
    "training.max_steps": 40,
    "training.eval_frequency": 20,
    "training.patience": 0,
}


def test_student_config_is_the_vectors_config_with_the_silver_reader():
    student = Config().from_disk(STUDENT, interpolate=False)
    base = Config().from_disk(CONFIGS / "bilstm_crf_vectors.cfg", interpolate=False)
    assert student["corpora"]["train"]["@readers"] == "spacy-bilstm-crf.SilverCorpus.v1"
    assert student["corpora"]["train"]["silver_path"] == "${paths.silver}"
    assert student["paths"].pop("silver") is None
    for name in ("silver_path", "silver_fraction", "silver_per_gold", "min_sentence_prob", "seed", "shuffle"):
        student["corpora"]["train"].pop(name)
    student["corpora"]["train"]["@readers"] = "spacy.Corpus.v1"
    assert student == base


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
            "paths.vectors": str(path / "vectors"), "paths.silver": str(path / "silver")}


def test_student_config_fills_and_debugs(data: dict, tmp_path: Path):
    fill_config(tmp_path / "filled.cfg", STUDENT, silent=True)
    assert Config().from_disk(tmp_path / "filled.cfg") == Config().from_disk(STUDENT)
    debug_config(STUDENT, overrides=data)


@pytest.mark.slow
def test_student_learns_what_only_the_silver_teaches(data: dict, tmp_path: Path):
    train(STUDENT, tmp_path, overrides={**data, **TINY})
    student = spacy.load(tmp_path / "model-last")
    assert student.get_pipe("bilstm_crf_ner").labels == ("PER", "PROD")
    for words in (["so", "we", "want", "Zorblax", "now", "."], ["Zorblax", "was", "sold", "."]):
        doc = student(Doc(student.vocab, words=words))
        assert [t.ent_type_ for t in doc] == ["PROD" if w == "Zorblax" else "" for w in words], \
            [(e.text, e.label_) for e in doc.ents]
