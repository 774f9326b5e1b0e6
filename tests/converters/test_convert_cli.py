"""The `convert` command: exit codes, summary, no partial output on errors."""
import os
import stat
import subprocess
import sys

import pytest

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


def test_cli_replaces_an_earlier_docbin_but_no_other_file(tmp_path):
    """A rerun replaces its earlier output; a mistyped output naming any other
    existing file (here the dev corpus) is refused and left byte-identical."""
    src, out = tmp_path / "in.txt", tmp_path / "out.spacy"
    src.write_text(CONLL)
    assert runner.invoke(app, ["convert", str(src), str(out), "-f", "conll"]).exit_code == 0
    src.write_text(CONLL.replace("B-PER", "B-LOC"))
    again = runner.invoke(app, ["convert", str(src), str(out), "-f", "conll"])
    assert again.exit_code == 0, again.output
    assert docs_to_iob2_tags(read_docbin(out, Vocab())) == [["B-ORG", "O"], ["B-LOC"]]
    dev = tmp_path / "dev.txt"
    dev.write_text(CONLL)
    for victim, content in ((dev, CONLL.encode()), (tmp_path / "x.spacy", b"\x78\x9c not a docbin")):
        victim.write_bytes(content)
        refused = runner.invoke(app, ["convert", str(src), str(victim), "-f", "conll"])
        assert refused.exit_code == 1 and "Traceback" not in refused.output
        assert "is not a .spacy DocBin" in flat(refused) and str(victim) in flat(refused)
        assert victim.read_bytes() == content
    split_dir = tmp_path / "corpus"
    split_dir.mkdir()
    (split_dir / "dev.spacy").write_text("my notes")
    rows = ["Sentence #,Word,POS,Tag"] + [f"Sentence: {i},w{i},NN,O" for i in range(1, 11)]
    csv = tmp_path / "g.csv"
    csv.write_text("\n".join(rows) + "\n")
    refused = runner.invoke(app, ["convert", str(csv), str(split_dir), "-f", "csv", "--split", "0.8,0.1,0.1"])
    assert refused.exit_code == 1 and "dev.spacy" in flat(refused)
    assert sorted(p.name for p in split_dir.iterdir()) == ["dev.spacy"]
    assert (split_dir / "dev.spacy").read_text() == "my notes"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_cli_refuses_an_output_that_is_not_a_regular_file(tmp_path):
    src, fifo = tmp_path / "in.txt", tmp_path / "out.spacy"
    src.write_text(CONLL)
    os.mkfifo(fifo)
    refused = runner.invoke(app, ["convert", str(src), str(fifo), "-f", "conll"])
    assert refused.exit_code == 1 and "is not a regular file" in flat(refused)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


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


def convert(*args):
    return runner.invoke(app, ["convert", *map(str, args)])


def flat(result) -> str:
    """The output with wasabi's line wrapping undone."""
    return " ".join(result.output.split())


def test_cli_output_location_errors(tmp_path):
    src = tmp_path / "in.txt"
    src.write_text(CONLL)
    (tmp_path / "a_dir").mkdir()
    link = tmp_path / "link.spacy"
    link.symlink_to(src)
    cases = [
        (tmp_path / "a_dir", "the output is a directory"),
        (src / "out.spacy", "is a file"),
        (tmp_path / "in.txt", "the output is the input file"),
        (tmp_path / "a_dir" / ".." / "in.txt", "the output is the input file"),
        (link, "the output is the input file"),
    ]
    for out, expected in cases:
        result = convert(src, out, "-f", "conll")
        assert result.exit_code == 1, out
        assert expected in flat(result) and "Traceback" not in result.output
    assert src.read_text() == CONLL and link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_dir", "in.txt", "link.spacy"]


def test_cli_output_permissions(tmp_path):
    src, out = tmp_path / "in.txt", tmp_path / "out.spacy"
    src.write_text(CONLL)
    old = os.umask(0o022)
    try:
        assert convert(src, out, "-f", "conll").exit_code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644


def csv_file(tmp_path):
    src = tmp_path / "g.csv"
    rows = ["Sentence #,Word,POS,Tag"] + [f"Sentence: {i},w{i},NN,B-geo" for i in range(1, 11)]
    src.write_bytes("\r\n".join(rows).encode("cp1252") + b"\r\n")
    return src


@pytest.mark.parametrize("names", ["../x,dev,test", "a/b,dev,test", "..,dev,test", ",dev,test", "/tmp/x,dev,test"])
def test_cli_split_names_stay_in_output_dir(tmp_path, names):
    src = csv_file(tmp_path)
    result = convert(src, tmp_path / "corpus", "-f", "csv", "--split", "0.8,0.1,0.1", "--split-names", names)
    assert result.exit_code == 1 and "Bad split name" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.csv"]


def test_cli_split_output_is_a_file(tmp_path):
    src = csv_file(tmp_path)
    (tmp_path / "corpus").write_text("")
    result = convert(src, tmp_path / "corpus", "-f", "csv", "--split", "0.8,0.1,0.1")
    assert result.exit_code == 1 and "its directory" in flat(result) and "is a file" in flat(result)


def test_cli_warnings_label_map_and_empty_split(tmp_path):
    src = csv_file(tmp_path)
    result = convert(src, tmp_path / "corpus", "-f", "csv", "--split", "1-10,20-30", "--split-names", "train,dev",
                     "--label-map", "geo=GEO,gpe=GPE")
    assert result.exit_code == 0, result.output
    assert "--label-map key 'gpe' matches no entity type of the input (types read: geo)" in flat(result)
    assert "split part 'dev' matches no sentence" in flat(result)


def test_cli_pubtator_summary(tmp_path):
    src, out = tmp_path / "p.txt", tmp_path / "p.spacy"
    text = "Na+/K+ and K+ fell."
    src.write_text(f"5|t|{text}\n5|a|x\n5\t0\t6\tNa+/K+\tChemical\tD1\n5\t4\t5\tK\tChemical\tD2\n"
                   "5\t0\t2\tNa\tChemical\tD3\n")
    result = convert(src, out, "-f", "pubtator", "--tokenizer", "spacy.Tokenizer.v1")
    assert result.exit_code == 0, result.output
    assert "Mentions read: Chemical 3" in flat(result)
    assert "Entities written: 1; mentions only in the span group (they overlap an entity): 2" in flat(result)
    assert "tokenized by spacy.Tokenizer.v1, then 1 tokens split" in flat(result)
    bad = convert(src, tmp_path / "q.spacy", "-f", "pubtator", "--tokenizer", "nope.v1")
    assert bad.exit_code == 1 and "Bad option" in bad.output and not (tmp_path / "q.spacy").exists()


def test_cli_tokenizer_only_for_pubtator(tmp_path):
    src, out = tmp_path / "in.txt", tmp_path / "out.spacy"
    src.write_text(CONLL)
    result = convert(src, out, "-f", "conll", "--tokenizer", "spacy.Tokenizer.v1")
    assert result.exit_code == 1 and "only used by the pubtator format" in flat(result) and not out.exists()


@pytest.mark.parametrize(
    "spec,expected",
    [
        ("PER=O", "[E470] Bad label map item 'PER=O': the new type 'O': 'O' is not an entity type"),
        ("PER=A B", "[E470] Bad label map item 'PER=A B': the new type 'A B': the entity type contains SPACE"),
        ("PER=A\u00a0B", "the new type 'A\\xa0B': the entity type contains NO-BREAK SPACE"),
        ("PER=-", "the new type '-': the entity type has no letter or digit"),
        ("O=PER", "the source type 'O': 'O' is not an entity type"),
        ("PER=", "[E403] Bad label map item 'PER='"),
        ("PER=X,ORG=Y,PER=Z", "[E471] Bad label map: 'PER' is mapped twice ('X', then 'Z')"),
    ],
)
def test_cli_label_map_refused(tmp_path, spec, expected):
    src, out = tmp_path / "in.txt", tmp_path / "out.spacy"
    src.write_text(CONLL)
    result = convert(src, out, "-f", "conll", "--label-map", spec)
    assert result.exit_code == 1 and "Bad option" in result.output, result.output
    assert expected in flat(result) and "Traceback" not in result.output
    assert not out.exists()


def test_label_map_checked_when_given_as_dict(tmp_path):
    from spacy_bilstm_crf.converters import convert_file

    src, out = tmp_path / "in.txt", tmp_path / "out.spacy"
    src.write_text(CONLL)
    with pytest.raises(ValueError, match=r"\[E470\].*the new type 'O'"):
        convert_file(src, out, format="conll", label_map={"PER": "O"})
    assert not out.exists()
    summary = convert_file(src, out, format="conll", label_map={"PER": "PERSON", "ORG": "PERSON"})
    assert summary.entities == {"PERSON": 2}


def test_cli_output_path_refusals_without_traceback(tmp_path):
    """Paths the kernel refuses: a coded refusal naming the output, exit 1."""
    src = tmp_path / "in.txt"
    src.write_text(CONLL)
    (tmp_path / "loop").symlink_to("loop")
    (tmp_path / "ring_a").symlink_to("ring_b/x")
    (tmp_path / "ring_b").symlink_to("ring_a")
    before = sorted(p.name for p in tmp_path.iterdir())
    cases = [
        (tmp_path / "loop", [], "a symbolic link loop"),
        (tmp_path / "loop" / "x.spacy", [], "a symbolic link loop"),
        (tmp_path / "ring_a" / "x.spacy", [], "a symbolic link loop"),
        (tmp_path / ("a" * 300 + ".spacy"), [], "too long for the file system"),
        (tmp_path / ("d" * 300) / "x.spacy", [], "too long for the file system"),
        (src / "sub" / "x.spacy", [], "its parent directory"),
        (tmp_path / "loop", ["--split", "0.5,0.5"], "a symbolic link loop"),
    ]
    for out, extra, expected in cases:
        result = convert(src, out, "-f", "csv" if extra else "conll", *extra)
        assert result.exit_code == 1, (out, result.output)
        assert expected in flat(result) and "cannot write the output" in flat(result), result.output
        assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == before and src.read_text() == CONLL


def test_cli_output_name_of_255_bytes(tmp_path):
    """The longest name the file system takes is written (the temp file's name is short)."""
    src, out = tmp_path / "in.txt", tmp_path / ("\u00e9" * 124 + "a.spacy")
    assert len(out.name.encode("utf8")) == 255
    src.write_text(CONLL)
    result = convert(src, out, "-f", "conll")
    assert result.exit_code == 0, result.output
    assert docs_to_iob2_tags(read_docbin(out, Vocab())) == [["B-ORG", "O"], ["B-PER"]]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["in.txt", out.name])


def test_temp_file_swapped_for_a_link_is_not_written_through(tmp_path, monkeypatch):
    """A link put at the temp path after its creation: the victim keeps its
    mode and bytes, the output is not made a link to it, the run is refused."""
    from spacy_bilstm_crf.converters import ConversionError, convert_file

    src, out, victim = tmp_path / "in.txt", tmp_path / "out.spacy", tmp_path / "victim"
    src.write_text(CONLL)
    victim.write_text("precious")
    victim.chmod(0o600)
    real_fdopen = os.fdopen

    def swap_then_open(fd, *args, **kwargs):
        for tmp in tmp_path.glob(".*.tmp"):
            tmp.unlink()
            tmp.symlink_to(victim)
        return real_fdopen(fd, *args, **kwargs)

    monkeypatch.setattr(os, "fdopen", swap_then_open)
    with pytest.raises(ConversionError, match="was replaced while it was written"):
        convert_file(src, out, format="conll")
    monkeypatch.undo()
    assert victim.read_text() == "precious" and stat.S_IMODE(victim.stat().st_mode) == 0o600
    assert not os.path.lexists(out)


def test_temp_file_never_opened_through_a_planted_link(tmp_path, monkeypatch):
    """A link already at the temp file's name is skipped (O_EXCL), not followed."""
    import tempfile

    src, out, victim = tmp_path / "in.txt", tmp_path / "out.spacy", tmp_path / "victim"
    src.write_text(CONLL)
    victim.write_text("precious")
    names = iter(["planted", "fresh"])
    monkeypatch.setattr(tempfile, "_get_candidate_names", lambda: names)
    # The first candidate name, as made by this version and by the one before.
    planted = [tmp_path / ".convert-planted.spacy.tmp", tmp_path / ".out.spacy.planted.tmp"]
    for link in planted:
        link.symlink_to(victim)
    assert convert(src, out, "-f", "conll").exit_code == 0
    assert victim.read_text() == "precious" and all(link.is_symlink() for link in planted)
    assert docs_to_iob2_tags(read_docbin(out, Vocab())) == [["B-ORG", "O"], ["B-PER"]]


def test_split_temp_swapped_writes_no_part(tmp_path, monkeypatch):
    """Every temp file is checked before the first rename: no part is written."""
    from spacy_bilstm_crf.converters import ConversionError, convert_file

    src, out, victim = csv_file(tmp_path), tmp_path / "corpus", tmp_path / "victim"
    victim.write_text("precious")
    real_fdopen = os.fdopen
    calls = []

    def swap_last_then_open(fd, *args, **kwargs):
        calls.append(fd)
        if len(calls) == 3:
            (tmp,) = [p for p in out.glob(".*.tmp") if os.fstat(fd).st_ino == p.stat().st_ino]
            tmp.unlink()
            tmp.symlink_to(victim)
        return real_fdopen(fd, *args, **kwargs)

    monkeypatch.setattr(os, "fdopen", swap_last_then_open)
    with pytest.raises(ConversionError, match="was replaced while it was written"):
        convert_file(src, out, format="csv", split="0.8,0.1,0.1")
    monkeypatch.undo()
    assert len(calls) == 3 and victim.read_text() == "precious"
    assert sorted(p.name for p in out.iterdir() if not p.is_symlink()) == []
