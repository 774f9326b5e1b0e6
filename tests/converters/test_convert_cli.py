"""The `convert` command: exit codes, summary, no partial output on errors."""
import subprocess
import sys

from typer.testing import CliRunner

from spacy_bilstm_crf.cli import app
from spacy_bilstm_crf.converters import docs_to_iob2_tags, read_docbin
from spacy.vocab import Vocab

CONLL = "-DOCSTART- -X- -X- O\n\nEU NNP I-NP B-ORG\nrejects VBZ I-VP O\n\nPeter NNP I-NP B-PER\n"
runner = CliRunner()


def test_cli_convert_writes_docbin(tmp_path):
    src, out = tmp_path / "in.txt", tmp_path / "out.spacy"
    src.write_text(CONLL)
    result = runner.invoke(app, ["convert", str(src), str(out), "--format", "conll"])
    assert result.exit_code == 0, result.output
    assert "entities ORG" in result.output and "sentences" in result.output
    docs = read_docbin(out, Vocab())
    assert docs_to_iob2_tags(docs) == [["B-ORG", "O"], ["B-PER"]]
    assert [t.tag_ for t in docs[0]] == ["NNP", "VBZ", "NNP"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.txt", "out.spacy"]


def test_cli_error_exit_1_no_output(tmp_path):
    src, out = tmp_path / "in.txt", tmp_path / "out.spacy"
    src.write_text(CONLL + "Blackburn NNP I-PER\n")
    result = runner.invoke(app, ["convert", str(src), str(out), "--format", "conll"])
    assert result.exit_code == 1
    assert "line 7" in result.output and "expected 4 space-separated columns" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.txt"]


def test_cli_csv_split(tmp_path):
    src = tmp_path / "g.csv"
    rows = ["Sentence #,Word,POS,Tag"] + [f"Sentence: {i},w{i},NN,B-geo" for i in range(1, 11)]
    src.write_bytes("\r\n".join(rows).encode("cp1252") + b"\r\n")
    out = tmp_path / "corpus"
    result = runner.invoke(app, ["convert", str(src), str(out), "-f", "csv", "--split", "0.8,0.1,0.1", "--label-map", "geo=GEO"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["dev.spacy", "test.spacy", "train.spacy"]
    assert len(docs_to_iob2_tags(read_docbin(out / "train.spacy", Vocab()))) == 8
    assert docs_to_iob2_tags(read_docbin(out / "dev.spacy", Vocab())) == [["B-GEO"]]


def test_cli_bad_options(tmp_path):
    src = tmp_path / "in.txt"
    src.write_text(CONLL)
    out = tmp_path / "o.spacy"
    assert runner.invoke(app, ["convert", str(src), str(out), "-f", "xml"]).exit_code == 1
    assert runner.invoke(app, ["convert", str(src), str(out), "-f", "conll", "--split", "0.5,0.5"]).exit_code == 1
    assert not out.exists()


def test_module_entry_point_help():
    result = subprocess.run(
        [sys.executable, "-m", "spacy_bilstm_crf", "convert", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0 and "--format" in result.stdout
