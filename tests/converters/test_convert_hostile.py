"""Odd inputs a hostile user would try on the column formats (conll, tsv,
csv): each gets a clear error naming file and line, or a counted tolerance,
never a silently changed token or sentence."""
import pytest
from spacy.vocab import Vocab
from typer.testing import CliRunner

from spacy_bilstm_crf.cli import app
from spacy_bilstm_crf.converters import (
    ConversionError, conll_to_docs, convert_file, csv_to_docs, read_docbin, tsv_to_docs,
)
from helpers.converters import assert_conversion_error

BOM = "UTF-8 byte-order mark (stripped)"


def write(tmp_path, fmt, rows, raw_prefix=b"", encoding="utf8"):
    """rows: (token, tag) pairs, or None for a sentence break, in `fmt`'s layout."""
    if fmt == "csv":
        lines, first = ["Sentence #,Word,POS,Tag"], True
        sent = 1
        for row in rows:
            if row is None:
                sent, first = sent + 1, True
                continue
            word = row[0] if "," not in row[0] and '"' not in row[0] else '"' + row[0].replace('"', '""') + '"'
            lines.append(f"{f'Sentence: {sent}' if first else ''},{word},NN,{row[1]}")
            first = False
    else:
        sep = " NN O " if fmt == "conll" else "\t"
        lines = ["" if row is None else f"{row[0]}{sep}{row[1]}" for row in rows]
    path = tmp_path / f"x.{fmt}"
    path.write_bytes(raw_prefix + ("\n".join(lines) + "\n").encode(encoding))
    return path


def read(fmt, path, **kwargs):
    if fmt == "csv":
        parts, summary = csv_to_docs(path, encoding=kwargs.pop("encoding", "utf-8"), **kwargs)
        return parts[""], summary
    return (conll_to_docs if fmt == "conll" else tsv_to_docs)(path, **kwargs)


FORMATS = ["conll", "tsv", "csv"]
ROWS = [("Aspirin", "B-Chemical"), ("helps", "O"), None, ("ulcers", "B-Disease")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_bom_stripped_and_counted(tmp_path, fmt):
    docs, summary = read(fmt, write(tmp_path, fmt, ROWS, raw_prefix=b"\xef\xbb\xbf"))
    assert docs[0][0].text == "Aspirin" and summary.oddities == {BOM: 1}
    assert summary.entities == {"Chemical": 1, "Disease": 1}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "token,expected",
    [
        ("sec\tondary", "contains a tab"),
        ("sec\x07ondary", "contains a control character"),
        ("sec\x1bondary", "contains a control character"),
        ("sec\x0bondary", "contains a line break"),
        ("sec\u2028ondary", "contains a line break (LINE SEPARATOR)"),
        ("sec\x85ondary", "contains a line break (NEXT LINE)"),
    ],
)
def test_bad_tokens(tmp_path, fmt, token, expected):
    if fmt != "csv" and "\t" in token:
        pytest.skip("a tab separates tsv columns and is no conll token character")
    rows = [("Aspirin", "B-Chemical"), (token, "O")]
    path = write(tmp_path, fmt, rows)
    error = assert_conversion_error(lambda: read(fmt, path), path=path, line=(3 if fmt == "csv" else 2))
    assert expected in str(error)


# Unicode spaces and other characters inside a token are data: kept exactly.
KEPT_TOKENS = ["5\u00a0storm", "\u00a0", "sec\u2009ondary", "\u3000x", "x\u200b", "caf\u00e9\x7f", "a b", " lead", "trail "]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("token", KEPT_TOKENS)
def test_tokens_kept_exactly(tmp_path, fmt, token):
    if fmt == "conll" and " " in token:
        pytest.skip("a space separates conll columns: that is a column split")
    rows = [("Aspirin", "B-Chemical"), (token, "B-Disease"), ("ulcers", "O")]
    path = write(tmp_path, fmt, rows)
    out = tmp_path / "out.spacy"
    summary = convert_file(path, out, format=fmt, **({"encoding": "utf-8"} if fmt == "csv" else {}))
    for docs in (read(fmt, path)[0], read_docbin(out, Vocab())):
        assert [t.text for t in docs[0]] == ["Aspirin", token, "ulcers"]
        assert [(e.text, e.label_) for e in docs[0].ents] == [("Aspirin", "Chemical"), (token, "Disease")]
    assert (summary.tokens, summary.entities, summary.oddities) == (3, {"Chemical": 1, "Disease": 1}, {})


def test_cli_keeps_nbsp_token_of_cp1252_gmb_csv(tmp_path):
    """The Kaggle file's `5\xa0storm`: a cp1252 NO-BREAK SPACE (byte 0xA0) in a Word field."""
    src, out = tmp_path / "ner_dataset.csv", tmp_path / "out.spacy"
    src.write_bytes(
        b"Sentence #,Word,POS,Tag\r\nSentence: 1,A,DT,O\r\n,5\xa0storm,NN,B-eve\r\n,hit,VBD,O\r\n"
        b"Sentence: 2,Paris,NNP,B-geo\r\n"
    )
    result = CliRunner().invoke(app, ["convert", str(src), str(out), "--format", "csv"])
    assert result.exit_code == 0, result.output
    docs = read_docbin(out, Vocab())
    assert [t.text for d in docs for t in d] == ["A", "5\u00a0storm", "hit", "Paris"]
    assert [(e.text, e.label_) for d in docs for e in d.ents] == [("5\u00a0storm", "eve"), ("Paris", "geo")]


@pytest.mark.parametrize("fmt", ["conll", "tsv"])
def test_nbsp_line_is_not_a_sentence_break(tmp_path, fmt):
    path = write(tmp_path, fmt, [("Aspirin", "B-Chemical")])
    path.write_text(path.read_text() + "\u00a0\nhelps" + (" NN O O\n" if fmt == "conll" else "\tO\n"))
    assert_conversion_error(lambda: read(fmt, path), line=2, contains=["only Unicode whitespace"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_nul_byte(tmp_path, fmt):
    path = write(tmp_path, fmt, [("Aspirin", "B-Chemical"), None, ("hel\x00ps", "O")])
    assert_conversion_error(lambda: read(fmt, path), contains=["NUL character"], line=(3 if fmt == "csv" else 3))


@pytest.mark.parametrize("fmt", FORMATS)
def test_utf16_file(tmp_path, fmt):
    path = write(tmp_path, fmt, ROWS, encoding="utf-16")
    with pytest.raises(ConversionError, match="UTF-16 byte-order mark: pass --encoding utf-16"):
        read(fmt, path)
    docs, summary = read(fmt, path, encoding="utf-16")
    assert [t.text for t in docs[0]] == ["Aspirin", "helps", "ulcers"] and summary.oddities == {}


@pytest.mark.parametrize("fmt", ["conll", "tsv"])
def test_utf16_without_bom(tmp_path, fmt):
    path = write(tmp_path, fmt, ROWS, encoding="utf-16-le")
    with pytest.raises(ConversionError, match="NUL character"):
        read(fmt, path)


@pytest.mark.parametrize("fmt", FORMATS)
def test_latin1_bytes_refused_as_utf8(tmp_path, fmt):
    path = write(tmp_path, fmt, [("Aspirin", "B-Chemical"), None, ("caf\u00e9", "O")], encoding="latin-1")
    assert_conversion_error(lambda: read(fmt, path, encoding="utf-8"), contains=["0xe9", "cannot be decoded as utf-8"], line=(3 if fmt == "csv" else 3))


def read_default(fmt, path):
    """Through convert_file with no --encoding: the default."""
    return convert_file(path, path.with_suffix(".spacy"), format=fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_default_encoding_utf8_no_mojibake(tmp_path, fmt):
    path = write(tmp_path, fmt, [("M\u00fcller", "B-Chemical"), ("\u2019s", "O")])
    summary = read_default(fmt, path)
    docs = read_docbin(path.with_suffix(".spacy"), Vocab())
    assert [t.text for t in docs[0]] == ["M\u00fcller", "\u2019s"]
    assert summary.encoding == "utf-8" and "encoding: utf-8 (default: the bytes are valid UTF-8)" in summary.notes
    assert summary.warnings == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_default_encoding_falls_back_to_cp1252(tmp_path, fmt):
    path = write(tmp_path, fmt, [("Aspirin", "B-Chemical"), None, ("caf\u00e9\u2019s", "O")], encoding="cp1252")
    summary = read_default(fmt, path)
    docs = read_docbin(path.with_suffix(".spacy"), Vocab())
    assert [t.text for d in docs for t in d] == ["Aspirin", "caf\u00e9\u2019s"]
    line = 3
    assert summary.encoding == "cp1252" and summary.warnings == []
    assert f"encoding: cp1252 (default fallback: the bytes are not UTF-8, e.g. byte 0xe9 on line {line})" in summary.notes


@pytest.mark.parametrize("fmt", FORMATS)
def test_default_encoding_warns_on_damaged_utf8(tmp_path, fmt):
    """Valid UTF-8 (M\u00fcller) beside one stray byte: read as cp1252, with a warning."""
    path = write(tmp_path, fmt, [("M\u00fcller", "B-Chemical"), None, ("caf\u00e9", "O")])
    path.write_bytes(path.read_bytes().replace("caf\u00e9".encode("utf-8"), b"caf\xe9"))
    summary = read_default(fmt, path)
    assert summary.encoding == "cp1252"
    assert summary.warnings == [
        "read as cp1252, but the file also holds 1 valid UTF-8 multi-byte sequence(s): if it is UTF-8 with "
        "damaged bytes (byte 0xe9 on line 3), repair it, or pass --encoding"
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_default_encoding_neither_utf8_nor_cp1252(tmp_path, fmt):
    path = write(tmp_path, fmt, [("Aspirin", "B-Chemical"), None, ("a\x81", "O")], encoding="latin-1")
    assert_conversion_error(
        lambda: read_default(fmt, path), line=3,
        contains=["byte 0x81", "cannot be decoded as UTF-8 or cp1252 (the default's fallback)", "--encoding"],
    )


def test_explicit_encoding_is_named(tmp_path):
    path = write(tmp_path, "conll", [("caf\u00e9", "O")], encoding="latin-1")
    docs, summary = conll_to_docs(path, encoding="latin-1")
    assert docs[0][0].text == "caf\u00e9" and summary.encoding == "latin-1"
    assert "encoding: latin-1 (--encoding)" in summary.notes


def test_cli_summary_names_encoding(tmp_path):
    src, out = tmp_path / "g.csv", tmp_path / "g.spacy"
    src.write_bytes("Sentence #,Word,POS,Tag\r\nSentence: 1,M\u00fcller,NNP,B-per\r\n".encode("utf-8"))
    result = CliRunner().invoke(app, ["convert", str(src), str(out), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "encoding: utf-8 (default: the bytes are valid UTF-8)" in result.output
    assert [t.text for d in read_docbin(out, Vocab()) for t in d] == ["M\u00fcller"]
