"""Odd inputs a hostile user would try on the column formats (conll, tsv,
csv): each gets a clear error naming file and line, or a counted tolerance,
never a silently changed token or sentence."""
import pytest

from spacy_bilstm_crf.converters import ConversionError, conll_to_docs, csv_to_docs, tsv_to_docs
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
        ("secondary ", "contains SPACE"),
        (" secondary", "contains SPACE"),
        ("\u00a0", "contains NO-BREAK SPACE"),
        ("sec\u00a0ondary", "contains NO-BREAK SPACE"),
        ("sec\x07ondary", "contains"),
        ("sec\x1bondary", "contains"),
        ("sec\u2028ondary", "contains LINE SEPARATOR"),
    ],
)
def test_bad_tokens(tmp_path, fmt, token, expected):
    if fmt == "conll" and " " in token:
        pytest.skip("a space separates conll columns")
    rows = [("Aspirin", "B-Chemical"), (token, "O")]
    path = write(tmp_path, fmt, rows)
    error = assert_conversion_error(lambda: read(fmt, path), path=path, line=(3 if fmt == "csv" else 2))
    assert expected in str(error)


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
def test_latin1_bytes_in_utf8(tmp_path, fmt):
    path = write(tmp_path, fmt, [("Aspirin", "B-Chemical"), None, ("caf\u00e9", "O")], encoding="latin-1")
    assert_conversion_error(lambda: read(fmt, path), contains=["0xe9", "cannot be decoded as utf-8"], line=(3 if fmt == "csv" else 3))
