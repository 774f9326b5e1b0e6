"""Static vectors from a text file: lower-cased vectors reach cased tokens; bad files are refused by line."""
import numpy
import pytest
import spacy
from typer.testing import CliRunner

from spacy_bilstm_crf.cli import app
from spacy_bilstm_crf.vectors import VectorsFormatError, cased_forms, read_vectors_text, vectors_pipeline

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
