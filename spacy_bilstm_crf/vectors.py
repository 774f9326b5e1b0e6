"""Static word vectors from a text file, found by cased tokens when the vectors are lower-cased.

spaCy looks a token's static vector up by its exact text (ORTH). GloVe's
common releases are lower-cased, so "Germany", "EU" and most other entity
tokens find no vector. spaCy 3.8 has `spacy init vectors --attr LOWER` for
this, but the setting does not survive in a default (non-floret) table:
`Vocab.deduplicate_vectors` rebuilds the table without it and `Vectors.to_disk`
writes `attr` only for floret tables, so the saved table is looked up by ORTH
again (spaCy 3.8.18). Here each word's Capitalised and UPPER forms get keys on
the word's own row instead: no extra vector memory, and nothing depends on
the lookup attribute.
"""
from pathlib import Path
from typing import List, NamedTuple, Optional, Tuple

import numpy

from .errors import Errors


class VectorsFormatError(ValueError):
    """A vectors text file that cannot be read (the message names the file and line)."""


BOM = b"\xef\xbb\xbf"


class VectorsText(NamedTuple):
    """What a vectors text file holds: its words, their (n_words, width)
    float32 table, and whether a UTF-8 byte order mark was stripped from its
    start (editors on Windows add one; it is not part of the first word)."""

    words: List[str]
    table: numpy.ndarray
    bom: bool


def read_vectors_text(path: Path) -> Tuple[List[str], numpy.ndarray]:
    """Words and a (n_words, width) float32 table from `word v1 ... vN` lines (see `read_vectors`)."""
    words, table, _ = read_vectors(path)
    return words, table


def read_vectors(path: Path) -> VectorsText:
    """Words and a (n_words, width) float32 table from `word v1 ... vN` lines.

    An optional word2vec header line (`n_words width`) gives the width, and
    the file must then hold exactly that many words; otherwise the first
    line gives the width. Every line must have that many finite numbers (the
    word may hold spaces, as in GloVe 840B); a word may appear only once. A
    UTF-8 byte order mark at the very start is stripped (and reported).
    """
    words: List[str] = []
    rows: List[numpy.ndarray] = []
    width: Optional[int] = None
    header: Optional[Tuple[int, int]] = None
    bom = False
    seen = set()
    with Path(path).open("rb") as f:
        for line_no, raw in enumerate(f, start=1):
            if line_no == 1 and raw.startswith(BOM):
                raw, bom = raw[len(BOM):], True
            try:
                line = raw.decode("utf8").rstrip("\r\n").rstrip(" ")
            except UnicodeDecodeError as err:
                raise VectorsFormatError(Errors.E455.format(path=path, line=line_no, err=err)) from None
            if line_no == 1:
                head = line.split(" ")
                if len(head) == 2 and all(p.isdigit() for p in head):
                    header = (int(head[0]), int(head[1]))
                    width = header[1]
                    continue
                width = len(head) - 1
            word, row = _parse_line(path, line_no, line, width, header)
            if word in seen:
                raise VectorsFormatError(Errors.E452.format(path=path, line=line_no, word=word))
            seen.add(word)
            words.append(word)
            rows.append(row)
    if header is not None and header[0] != len(words):
        raise VectorsFormatError(Errors.E458.format(path=path, n_words=header[0], width=header[1], found=len(words)))
    if not words:
        raise VectorsFormatError(Errors.E453.format(path=path))
    return VectorsText(words, numpy.vstack(rows), bom)


def _parse_line(
    path: Path, line_no: int, line: str, width: Optional[int], header: Optional[Tuple[int, int]]
) -> Tuple[str, numpy.ndarray]:
    """(word, float32 row) of one line of `width` numbers, or VectorsFormatError."""
    # Like spaCy's reader: the last `width` fields are the numbers, the rest the word.
    pieces = line.rsplit(" ", width) if width else [line]
    # A word with spaces is kept, but not one that ends in a number: that is a line with too many.
    extra_number = " " in pieces[0] and _is_number(pieces[0].rsplit(" ", 1)[1])
    if not width or len(pieces) != width + 1 or not pieces[0] or extra_number:
        found = len(line.split(" ")) - 1
        if header is not None and line_no == 2:
            # The first line after the header: its width is the header's to blame.
            raise VectorsFormatError(Errors.E460.format(path=path, line=line_no, width=width, found=found))
        raise VectorsFormatError(Errors.E450.format(path=path, line=line_no, width=max(width or 0, 1), found=found))
    try:
        with numpy.errstate(over="ignore"):  # "1e39" overflows float32 to inf: refused below, by value
            row = numpy.asarray(pieces[1:], dtype="float32")
    except ValueError:
        raise VectorsFormatError(Errors.E451.format(path=path, line=line_no, width=width, word=pieces[0])) from None
    finite = numpy.isfinite(row)
    if not finite.all():
        column = int(numpy.argmin(finite))
        raise VectorsFormatError(Errors.E457.format(
            path=path, line=line_no, value=pieces[1 + column], column=column + 1, word=pieces[0]))
    return pieces[0], row


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def cased_forms(words: List[str]) -> List[Tuple[str, int]]:
    """(form, row): the Capitalised and UPPER form of each word, where that form is not a word of its own."""
    known = set(words)
    extra: List[Tuple[str, int]] = []
    for row, word in enumerate(words):
        for form in (word[:1].upper() + word[1:], word.upper()):
            if form not in known:
                known.add(form)
                extra.append((form, row))
    return extra


def vectors_pipeline(words: List[str], table: numpy.ndarray, *, name: str, lang: str = "en", add_cased_forms: bool = True):
    """A blank pipeline whose vocab holds the table (for `[initialize] vectors` / `paths.vectors`)."""
    import spacy
    from spacy.vectors import Vectors

    check_vectors_name(name)
    check_lang(lang)
    if table.ndim != 2 or table.shape[0] != len(words):
        raise ValueError(Errors.E454.format(rows=table.shape[0], words=len(words)))
    if len(set(words)) != len(words):
        # spaCy's Vectors would silently keep one row per repeated key.
        raise ValueError(Errors.E456.format(n=len(words) - len(set(words))))
    nlp = spacy.blank(lang)
    vectors = Vectors(strings=nlp.vocab.strings, data=numpy.ascontiguousarray(table, dtype="float32"), keys=words, name=name)
    if add_cased_forms:
        for form, row in cased_forms(words):
            vectors.add(form, row=row)
    nlp.vocab.vectors = vectors
    nlp.meta["vectors"]["name"] = name
    return nlp


def check_vectors_name(name: str) -> str:
    """The table's name, refused when empty: spaCy tells vectors tables apart by it."""
    if not name.strip():
        raise ValueError(Errors.E462.format())
    return name


def check_lang(lang: str) -> str:
    """The language code, refused unless spaCy has that language (checked
    before a large file is read, not after)."""
    import spacy

    try:
        spacy.util.get_lang_class(lang)
    except ImportError:
        raise ValueError(Errors.E461.format(lang=lang)) from None
    return lang
