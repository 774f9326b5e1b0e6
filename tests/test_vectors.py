"""Static vectors from a text file: lower-cased vectors reach cased tokens; bad files are refused by line."""
import numpy
import pytest
import spacy
from typer.testing import CliRunner

from spacy_bilstm_crf.cli import app
from spacy_bilstm_crf.output_dir import OutputDirError, write_output_dir
from spacy_bilstm_crf.vectors import VectorsFormatError, cased_forms, read_vectors, read_vectors_text, vectors_pipeline

runner = CliRunner()
GLOVE_LIKE = "paris 0.5 -1.0 2.0\neu 1.0 1.0 1.0\napple 0.0 0.25 -0.5\nApple 9.0 9.0 9.0\n. . . 3.0 3.0 3.0\n"


def test_read_with_and_without_header(tmp_path):
    plain, header = tmp_path / "plain.txt", tmp_path / "header.txt"
    plain.write_text(GLOVE_LIKE, encoding="utf8")
    header.write_text("5 3\n" + GLOVE_LIKE, encoding="utf8")
    for path in (plain, header):
        words, table = read_vectors_text(path)
        assert words == ["paris", "eu", "apple", "Apple", ". . ."]
        assert table.dtype == numpy.float32 and table.shape == (5, 3)
        assert table[0].tolist() == [0.5, -1.0, 2.0]


def test_cased_forms_share_the_row_unless_the_form_is_a_word():
    forms = dict(cased_forms(["paris", "eu", "apple", "Apple"]))
    assert forms["Paris"] == 0 and forms["PARIS"] == 0 and forms["EU"] == 1 and forms["Eu"] == 1
    assert "Apple" not in forms and forms["APPLE"] == 2
    assert "paris" not in forms  # a word is never its own extra form


def test_cased_tokens_find_the_lower_case_vector(tmp_path):
    path = tmp_path / "v.txt"
    path.write_text(GLOVE_LIKE, encoding="utf8")
    nlp = vectors_pipeline(*read_vectors_text(path), name="toy")
    nlp.to_disk(tmp_path / "out")
    loaded = spacy.load(tmp_path / "out")
    assert loaded.vocab.vectors.shape == (5, 3) and loaded.vocab.vectors.name == "toy"
    doc = loaded.make_doc("Paris PARIS paris EU Apple APPLE Berlin")
    vectors = {t.text: t.vector.tolist() for t in doc}
    assert vectors["Paris"] == vectors["PARIS"] == vectors["paris"] == [0.5, -1.0, 2.0]
    assert vectors["EU"] == [1.0, 1.0, 1.0]
    assert vectors["Apple"] == [9.0, 9.0, 9.0]  # its own vector, not apple's
    assert vectors["APPLE"] == [0.0, 0.25, -0.5]
    assert not doc[-1].has_vector
    # The rows are shared: the table holds one vector per word.
    assert len(loaded.vocab.vectors.key2row) > loaded.vocab.vectors.shape[0]


def test_no_cased_forms_keeps_exact_lookup(tmp_path):
    path = tmp_path / "v.txt"
    path.write_text(GLOVE_LIKE, encoding="utf8")
    nlp = vectors_pipeline(*read_vectors_text(path), name="toy", add_cased_forms=False)
    doc = nlp.make_doc("Paris paris")
    assert not doc[0].has_vector and doc[1].has_vector


@pytest.mark.parametrize(
    "text,line,expected",
    [
        ("paris 1 2 3\neu 1 2\n", 2, "expected a word and 3 numbers"),
        ("paris 1 2 3\neu 1 2 3 4\n", 2, "expected a word and 3 numbers"),
        ("paris 1 2 3\neu 1 x 3\n", 2, "expected 3 numbers after the word 'eu'"),
        ("paris 1 2 3\nparis 4 5 6\n", 2, "already has a vector"),
        ("2 3\nparis 1 2 3\n\n", 3, "expected a word and 3 numbers"),
        ("paris\n", 1, "expected a word and 1 numbers"),
    ],
)
def test_bad_lines_are_refused_with_their_line(tmp_path, text, line, expected):
    path = tmp_path / "bad.txt"
    path.write_text(text, encoding="utf8")
    with pytest.raises(VectorsFormatError) as err:
        read_vectors_text(path)
    assert f"{path}:{line}:" in str(err.value) and expected in str(err.value)


def test_bytes_that_are_not_utf8_are_refused_with_their_line(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("paris 1 2 3\n".encode("utf8") + "mal\xe9 1 2 3\n".encode("latin-1"))
    with pytest.raises(VectorsFormatError) as err:
        read_vectors_text(path)
    assert f"{path}:2: expected UTF-8" in str(err.value)


def test_a_table_must_have_one_row_per_word_each_word_once():
    with pytest.raises(ValueError, match="E454"):
        vectors_pipeline(["a", "b"], numpy.zeros((3, 2), dtype="float32"), name="x")
    with pytest.raises(ValueError, match="E456"):
        vectors_pipeline(["a", "a"], numpy.zeros((2, 2), dtype="float32"), name="x")


def test_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("", encoding="utf8")
    with pytest.raises(VectorsFormatError, match="no vectors"):
        read_vectors_text(path)


def test_cli_writes_a_vectors_folder(tmp_path):
    src, out = tmp_path / "glove.txt", tmp_path / "vectors"
    src.write_text(GLOVE_LIKE, encoding="utf8")
    result = runner.invoke(app, ["init-vectors", str(src), str(out), "--name", "toy"])
    assert result.exit_code == 0, result.output
    assert "Read 5 vectors of 3 dimensions" in result.output and "cased forms" in result.output
    nlp = spacy.load(out)
    assert nlp.make_doc("Paris")[0].vector.tolist() == [0.5, -1.0, 2.0]


def test_cli_bad_file_exits_1_and_writes_nothing(tmp_path):
    src, out = tmp_path / "glove.txt", tmp_path / "vectors"
    src.write_text("paris 1 2 3\neu 1 2\n", encoding="utf8")
    result = runner.invoke(app, ["init-vectors", str(src), str(out), "--name", "toy"])
    assert result.exit_code == 1
    assert f"{src}:2:" in result.output.replace("\n", "")
    assert not out.exists()


# Issue 32: values, headers, options and outputs init-vectors refused or mishandled.


@pytest.mark.parametrize(
    "text,line,code,expected",
    [
        ("paris 1 2 3\neu 1 nan 3\n", 2, "E457", "'nan' (number 2) of the word 'eu'"),
        ("paris inf 2 3\n", 1, "E457", "'inf' (number 1) of the word 'paris'"),
        ("paris 1 2 3\neu 1 2 -Infinity\n", 2, "E457", "'-Infinity' (number 3)"),
        ("paris 1 2 3\neu 1e39 2 3\n", 2, "E457", "'1e39' (number 1)"),  # overflows float32
        ("3 3\nparis 1 2 3\neu 1 2 3\n", 1, "E458", "says 3 words of 3 dimensions, but the file has 2 words"),
        ("1 3\nparis 1 2 3\neu 1 2 3\n", 1, "E458", "says 1 words of 3 dimensions, but the file has 2 words"),
        ("2 4\nparis 1 2 3\neu 1 2 3\n", 2, "E460", "says 4 dimensions, but this line has 3 values"),
        ("2 2\nparis 1 2 3\neu 1 2 3\n", 2, "E460", "says 2 dimensions, but this line has 3 values"),
    ],
)
def test_non_finite_values_and_wrong_headers_are_refused(tmp_path, text, line, code, expected):
    path = tmp_path / "bad.txt"
    path.write_text(text, encoding="utf8")
    with pytest.raises(VectorsFormatError) as err:
        read_vectors_text(path)
    assert f"[{code}] {path}:{line}:" in str(err.value) and expected in str(err.value)


def test_a_bom_is_stripped_and_reported(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + GLOVE_LIKE.encode("utf8"))
    words, table, bom = read_vectors(path)
    assert words[0] == "paris" and bom and table.shape == (5, 3)
    # Only the file's first bytes: U+FEFF elsewhere is a character of a word.
    path.write_bytes(GLOVE_LIKE.encode("utf8") + "\ufeffx 1 2 3\n".encode("utf8"))
    words, _, bom = read_vectors(path)
    assert words[-1] == "\ufeffx" and not bom
    out = tmp_path / "out"
    path.write_bytes(b"\xef\xbb\xbf" + GLOVE_LIKE.encode("utf8"))
    result = runner.invoke(app, ["init-vectors", str(path), str(out), "--name", "toy"])
    assert result.exit_code == 0, result.output
    assert "Stripped 1 UTF-8 byte order mark" in result.output
    assert spacy.load(out).make_doc("paris")[0].vector.tolist() == [0.5, -1.0, 2.0]


def _init(src, out, *extra):
    return runner.invoke(app, ["init-vectors", str(src), str(out), "--name", "toy", *extra])


@pytest.fixture
def src(tmp_path):
    path = tmp_path / "glove.txt"
    path.write_text(GLOVE_LIKE, encoding="utf8")
    return path


def _trained_like(path):
    """A pipeline directory with a component, as a trained one."""
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.to_disk(path)
    return sorted(p.name for p in path.iterdir())


def test_a_non_empty_output_directory_is_refused_without_overwrite(tmp_path, src):
    out = tmp_path / "model"
    before = _trained_like(out)
    result = _init(src, out)
    assert result.exit_code == 1
    assert "[E465]" in result.output and "--overwrite" in result.output
    assert sorted(p.name for p in out.iterdir()) == before
    assert spacy.load(out).pipe_names == ["sentencizer"]  # still loads with its component
    # An empty directory is filled.
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _init(src, empty).exit_code == 0 and spacy.load(empty).vocab.vectors.shape == (5, 3)


def test_overwrite_replaces_a_pipeline_and_nothing_else(tmp_path, src):
    out = tmp_path / "model"
    _trained_like(out)
    result = _init(src, out, "--overwrite")
    assert result.exit_code == 0, result.output
    nlp = spacy.load(out)
    assert nlp.pipe_names == [] and nlp.vocab.vectors.shape == (5, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["glove.txt", "model"]  # no temporary left
    # A directory that is not a pipeline is never replaced.
    other = tmp_path / "notes"
    other.mkdir()
    (other / "todo.txt").write_text("keep me", encoding="utf8")
    result = _init(src, other, "--overwrite")
    assert result.exit_code == 1 and "[E468]" in result.output
    assert (other / "todo.txt").read_text(encoding="utf8") == "keep me"
    # Nor one that holds the input.
    inside = out / "glove.txt"
    inside.write_text(GLOVE_LIKE, encoding="utf8")
    result = _init(inside, out, "--overwrite")
    assert result.exit_code == 1 and "[E468]" in result.output and inside.exists()


def test_overwrite_checks_the_file_before_removing_anything(tmp_path):
    bad, out = tmp_path / "bad.txt", tmp_path / "model"
    bad.write_text("paris 1 2 3\neu 1 nan 3\n", encoding="utf8")
    before = _trained_like(out)
    result = _init(bad, out, "--overwrite")
    assert result.exit_code == 1 and "[E457]" in result.output
    assert sorted(p.name for p in out.iterdir()) == before and spacy.load(out).pipe_names == ["sentencizer"]


def test_a_failed_write_leaves_the_old_directory(tmp_path, monkeypatch):
    out = tmp_path / "model"
    before = _trained_like(out)

    def fail(tmp):
        (tmp / "half").write_text("x", encoding="utf8")
        raise OSError(28, "No space left on device")

    with pytest.raises(OutputDirError, match=r"\[E469\].*No space left on device"):
        write_output_dir(out, fail, replace=True)
    assert sorted(p.name for p in out.iterdir()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
    # Parents made for the output are removed again.
    with pytest.raises(OutputDirError):
        write_output_dir(tmp_path / "a" / "b" / "out", fail)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_a_directory_filled_after_the_check_is_kept_not_replaced(tmp_path):
    """Two jobs checked the same new output: the one that ends second is
    refused (E469) and the first one's directory kept, unless it may replace
    (--overwrite)."""
    out = tmp_path / "out"

    def second_job(tmp):
        (tmp / "ours").write_text("ours", encoding="utf8")
        out.mkdir()  # the first job's directory lands meanwhile
        (out / "theirs").write_text("theirs", encoding="utf8")

    with pytest.raises(OutputDirError, match=r"\[E469\].*after it was checked.*kept, not replaced"):
        write_output_dir(out, second_job)
    assert [p.name for p in out.iterdir()] == ["theirs"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    # An empty directory is taken; with replace, a filled one is replaced.
    (tmp_path / "empty").mkdir()
    write_output_dir(tmp_path / "empty", lambda tmp: (tmp / "ours").write_text("ours", encoding="utf8"))
    assert [p.name for p in (tmp_path / "empty").iterdir()] == ["ours"]
    write_output_dir(out, lambda tmp: (tmp / "ours").write_text("ours", encoding="utf8"), replace=True)
    assert [p.name for p in out.iterdir()] == ["ours"]


def test_outputs_that_cannot_be_a_directory_get_coded_errors(tmp_path, src):
    a_file = tmp_path / "file.txt"
    a_file.write_text("data", encoding="utf8")
    loop = tmp_path / "loop"
    loop.symlink_to(tmp_path / "loop")
    link = tmp_path / "link"
    (tmp_path / "real").mkdir()
    link.symlink_to(tmp_path / "real")
    cases = [
        (a_file, "[E463]", "is not a directory (a file)"),
        (a_file / "out", "[E464]", f"{a_file} is not a directory (a file)"),
        (a_file / "deeper" / "out", "[E464]", f"{a_file} is not a directory"),
        (loop, "[E466]", "symbolic link"),
        (loop / "out", "[E466]", "a loop of symbolic links"),
        (link, "[E466]", "symbolic link"),
        (tmp_path / ("x" * 256), "[E467]", "256 bytes"),
        (tmp_path / ("é" * 128) / "out", "[E467]", "256 bytes"),
    ]
    for out, code, expected in cases:
        result = _init(src, out)
        assert result.exit_code == 1, (out, result.output)
        text = result.output.replace("\n", " ")
        assert code in text and expected in text and str(out)[:30] in text, (out, text)
        assert result.exception is None or isinstance(result.exception, SystemExit)
    assert a_file.read_text(encoding="utf8") == "data" and not any((tmp_path / "real").iterdir())


def test_bad_options_are_refused_before_reading(tmp_path, monkeypatch):
    import spacy_bilstm_crf.cli.vectors as cli_vectors

    src, out = tmp_path / "glove.txt", tmp_path / "out"
    src.write_text(GLOVE_LIKE, encoding="utf8")

    def no_reading(path):
        raise AssertionError("the file was read before the options were checked")

    monkeypatch.setattr(cli_vectors, "read_vectors", no_reading)
    result = runner.invoke(app, ["init-vectors", str(src), str(out), "--name", "toy", "--lang", "zz"])
    assert result.exit_code == 1 and "[E461]" in result.output and "'zz'" in result.output
    for empty in ("", "  "):
        result = runner.invoke(app, ["init-vectors", str(src), str(out), "--name", empty])
        assert result.exit_code == 1 and "[E462]" in result.output
    assert not out.exists()
    with pytest.raises(ValueError, match="E462"):
        vectors_pipeline(["a"], numpy.zeros((1, 2), dtype="float32"), name="")
    with pytest.raises(ValueError, match="E461"):
        vectors_pipeline(["a"], numpy.zeros((1, 2), dtype="float32"), name="x", lang="zz")
