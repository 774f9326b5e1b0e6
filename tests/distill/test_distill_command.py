"""`python -m spacy_bilstm_crf distill TEACHER TEXT OUTPUT_DIR`: a silver set the
reader takes as it is; refusals before anything is written."""
from pathlib import Path
from typing import Dict

import pytest
import spacy
from spacy.tokens import Doc, DocBin
from thinc.util import has_cupy_gpu
from typer.testing import CliRunner

from helpers.annotate import trained_model
from helpers.ner import TRAIN_DATA
from spacy_bilstm_crf.cli import app
from spacy_bilstm_crf.readers.silver import create_silver_corpus
from spacy_bilstm_crf.silver import check_silver_set, read_silver_docs, saved_teacher_fingerprint, sentence_probabilities

N_LINES = 30


@pytest.fixture(scope="module")
def teacher(tmp_path_factory) -> Path:
    return trained_model(tmp_path_factory)


def sentence(i: int) -> str:
    """Line i of the unlabelled text: a toy sentence, tokens separated by spaces."""
    text = TRAIN_DATA[i % len(TRAIN_DATA)][0]
    return " ".join(text.replace(".", " .").replace("?", " ?").split()) + f" {i}"


@pytest.fixture
def text(tmp_path: Path) -> Path:
    path = tmp_path / "text.txt"
    path.write_text("".join(sentence(i) + "\n" for i in range(N_LINES)), encoding="utf8")
    return path


def files(folder: Path) -> Dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def distill(*args: object):
    return CliRunner().invoke(app, ["distill", *map(str, args)])


def test_writes_a_silver_set_the_reader_takes(teacher: Path, text: Path, tmp_path: Path):
    out = tmp_path / "silver"
    result = distill(teacher, text, out, "--sentences-per-doc", 3, "--shard-size", 4)
    assert result.exit_code == 0, result.output
    assert "30 sentences" in result.output and "teacher words/s" in result.output
    manifest = check_silver_set(out)
    nlp = spacy.load(teacher)
    assert manifest.teacher == saved_teacher_fingerprint(teacher)
    assert manifest.labels == ("LOC", "PERSON") and manifest.tag_scheme == "BILUO"
    assert manifest.sentence_probabilities
    assert (manifest.counts.docs, manifest.counts.sentences, len(manifest.shards)) == (10, 30, 3)
    docs = [doc for _, _, doc in read_silver_docs(out, manifest, nlp.vocab)]
    # The source's tokens and sentences, in order, each sentence with the teacher's probability.
    assert [" ".join(t.text for t in s) for d in docs for s in d.sents] == [sentence(i) for i in range(N_LINES)]
    assert all(len(sentence_probabilities(d)) == 3 for d in docs)
    assert sum(manifest.counts.entities.values()) == sum(len(d.ents) for d in docs) > 0
    gold = tmp_path / "gold.spacy"
    DocBin(docs=[Doc(nlp.vocab, words=["Berlin", "rocks"], ents=["B-LOC", "O"]),
                 Doc(nlp.vocab, words=["Shaka", "Khan"], ents=["B-PERSON", "I-PERSON"])]).to_disk(gold)
    reader = create_silver_corpus(path=gold, silver_path=out, min_sentence_prob=0.5)
    examples = list(reader(nlp))
    assert len(examples) == 12 and reader.last_stats.n_silver_examples == 10


def test_refuses_an_existing_output_and_replaces_only_a_silver_set(teacher: Path, text: Path, tmp_path: Path):
    out = tmp_path / "silver"
    assert distill(teacher, text, out).exit_code == 0
    before = files(out)
    result = distill(teacher, text, out)
    assert result.exit_code == 1 and "[E465]" in result.output and files(out) == before
    text.write_text("Berlin .\n", encoding="utf8")
    result = distill(teacher, text, out, "--overwrite")
    assert result.exit_code == 0, result.output
    assert check_silver_set(out).counts.sentences == 1
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine", encoding="utf8")
    result = distill(teacher, text, other, "--overwrite")
    assert result.exit_code == 1 and "[E246]" in result.output and files(other) == {"notes.txt": b"mine"}
    inside = tmp_path / "silver2"
    assert distill(teacher, text, inside).exit_code == 0
    result = distill(teacher, inside / "silver-00000.spacy", inside, "--overwrite")  # its own docs as the input
    assert result.exit_code == 1 and "[E246]" in result.output and "lies inside it" in result.output
    result = distill(teacher, text, teacher / "silver")
    assert result.exit_code == 1 and "[E420]" in result.output and not (teacher / "silver").exists()


def test_bad_line_or_teacher_refused_before_anything_is_written(teacher: Path, text: Path, tmp_path: Path):
    lines = text.read_text(encoding="utf8").splitlines()
    lines[6] = '{"tokens": ["not", "text"]} \udcff'
    text.write_bytes("\n".join(lines).encode("utf8", "surrogateescape") + b"\n")
    out = tmp_path / "silver"
    result = distill(teacher, text, out)
    assert result.exit_code == 1 and "[E240]" in result.output
    assert "line 7" in " ".join(result.output.split()) and not out.exists()
    result = distill(tmp_path / "nowhere", tmp_path / "text.txt", out)
    assert result.exit_code == 1 and not out.exists()
    assert "[E240]" in result.output  # the input is read first
    text.write_text("Berlin .\n", encoding="utf8")
    result = distill(tmp_path / "nowhere", text, out)
    assert result.exit_code == 1 and "[E245]" in result.output and not out.exists()
    result = distill(teacher, text, out, "--sentences-per-doc", 0)
    assert result.exit_code == 1 and "--sentences-per-doc must be at least 1, got 0" in result.output
    if not has_cupy_gpu:
        result = distill(teacher, text, out, "--gpu-id", 0)
        assert result.exit_code == 1 and "[E252] --gpu-id 0: cannot use that GPU" in result.output and not out.exists()
    blank = tmp_path / "blank"
    spacy.blank("en").to_disk(blank)
    result = distill(blank, text, out)
    assert result.exit_code == 1 and "[E227]" in result.output and not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".partial-")]
