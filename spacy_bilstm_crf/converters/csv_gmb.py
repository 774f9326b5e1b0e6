"""The Kaggle "Annotated Corpus for NER" CSV (GMB-derived) to Docs.

Columns `Sentence #, Word, POS, Tag`; `Sentence: N` only on a sentence's
first row; cp1252 bytes (the --encoding default reads a file that is not UTF-8
as cp1252); CRLF; quoted commas. Entity types are kept as they
are (`geo`, `per`, ...) unless a label map renames them. There are no
document markers, so documents are groups of n_sents sentences.
"""
import csv
import io
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from spacy.tokens import Doc
from spacy.vocab import Vocab

from .inputs import BLANK_CHARS, read_input, token_problem
from .iob import is_valid_tag, tag_error
from .report import ConversionError, PathLike, Summary, add_oddity
from .split import SplitSpec, split_items, split_names
from .tabular import RawSentence, build_docs, group_sentences, resolve_scheme

HEADER = ["Sentence #", "Word", "POS", "Tag"]
SENT_PREFIX = "Sentence: "
NO_FINAL_NEWLINE = "missing final newline"
ID_GAPS = "sentence ids not following the previous one"
TRAILING_SPACE = "trailing whitespace in the Tag field (ignored)"
MAX_SHOWN = 120


def shorten(value: object) -> str:
    """A repr short enough for an error message (a runaway quote can swallow
    thousands of lines into one field)."""
    text = repr(value)
    return text if len(text) <= MAX_SHOWN else f"{text[:MAX_SHOWN]}... ({len(text):,} characters)"


def read_rows(path: Path, text: str) -> Iterator[Tuple[int, List[str]]]:
    """(first line, fields) per csv row. A row spanning lines (a quoted line
    break, or a quote never closed) and csv's own errors name the row's line."""
    reader = csv.reader(io.StringIO(text, newline=""))
    line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise ConversionError(path, line, f"unreadable csv row ({err}); an unclosed quote?") from None
        # A row read from more than one line holds a line break in a field.
        if reader.line_num != line:
            raise ConversionError(
                path, line,
                f"a field holds a line break: a quote opened on this line is not closed on it: {shorten(row)}",
            )
        yield line, row
        line = reader.line_num + 1


def read_gmb_csv(
    path: Path,
    text: str,
    oddities: Dict[str, int],
    progress: Optional[Callable[[int], None]] = None,
) -> List[RawSentence]:
    if not text.endswith("\n"):
        add_oddity(oddities, NO_FINAL_NEWLINE)
    rows = read_rows(path, text)
    _, header = next(rows)
    if header != HEADER:
        raise ConversionError(path, 1, f"expected the header {','.join(HEADER)!r}, got {','.join(header)!r}")
    sentences: List[RawSentence] = []
    words: List[str] = []
    pos: List[str] = []
    ner: List[str] = []
    first_line = 0
    sent_id = prev_id = 0
    valid_tags = set()
    n_gaps = n_trailing = 0
    n_rows = 0
    for line_num, row in rows:
        n_rows += 1
        if len(row) != 4:
            raise ConversionError(
                path, line_num,
                f"expected 4 comma-separated fields ({', '.join(HEADER)}), got {len(row)}: {shorten(row)}",
            )
        marker, word, tag_pos, tag = row
        if marker:
            number = marker[len(SENT_PREFIX):]
            if not marker.startswith(SENT_PREFIX) or not (number.isascii() and number.isdigit()):
                raise ConversionError(
                    path, line_num, f"expected 'Sentence: N' (N in digits 0-9) or nothing in the first field, "
                    f"got {shorten(marker)}"
                )
            if words:
                sentences.append(RawSentence(words, pos, ner, first_line, sent_id))
                words, pos, ner = [], [], []
            prev_id, sent_id = sent_id, int(marker[len(SENT_PREFIX):])
            if prev_id and sent_id != prev_id + 1:
                n_gaps += 1
            first_line = line_num
            if progress is not None:
                progress(line_num)
        elif not words and not sentences:
            raise ConversionError(path, line_num, f"expected 'Sentence: N' on the first data row, got {marker!r}")
        if tag not in valid_tags:
            if tag.rstrip(BLANK_CHARS) != tag:
                n_trailing += 1
                tag = tag.rstrip(BLANK_CHARS)
            if not is_valid_tag(tag):
                raise ConversionError(path, line_num, tag_error(tag))
            if tag == row[3]:
                valid_tags.add(tag)
        problem = token_problem(word)
        if problem:
            raise ConversionError(path, line_num, f"{problem} in the Word field")
        words.append(word)
        pos.append(tag_pos)
        ner.append(tag)
    if words:
        sentences.append(RawSentence(words, pos, ner, first_line, sent_id))
    if not sentences:
        raise ConversionError(path, 2, "no data rows after the header")
    add_oddity(oddities, ID_GAPS, n_gaps)
    add_oddity(oddities, TRAILING_SPACE, n_trailing)
    return sentences


def csv_to_docs(
    path: PathLike,
    *,
    vocab: Optional[Vocab] = None,
    scheme: str = "auto",
    n_sents: int = 10,
    label_map: Optional[Dict[str, str]] = None,
    encoding: Optional[str] = None,
    split: Optional[SplitSpec] = None,
    names: Optional[Sequence[str]] = None,
    progress: Optional[Callable[[int], None]] = None,
) -> Tuple[Dict[str, List[Doc]], Summary]:
    """Docs per output part: {"": docs} without a split, else one entry per
    split name. The summary covers the whole file, `summary.parts` each part."""
    path = Path(path)
    vocab = vocab or Vocab()
    summary = Summary(input=str(path), format="csv")
    text = read_input(path, encoding, summary)
    sentences = read_gmb_csv(path, text, summary.oddities, progress)
    summary.notes.append(
        f"sentence ids {sentences[0].sent_id:,}-{sentences[-1].sent_id:,}; "
        f"documents of {n_sents} sentences (the format has no document markers)"
    )
    scheme = resolve_scheme([sentences], scheme, summary)
    if split is None:
        docs = build_docs(vocab, group_sentences(sentences, n_sents), scheme, summary.oddities, label_map)
        return {"": docs}, summary.count_docs(docs)
    part_names = split_names(len(split), names)
    parts, n_outside = split_items(sentences, [s.sent_id for s in sentences], split, part_names)
    if n_outside:
        summary.notes.append(f"{n_outside:,} sentences are in no split range and were not written")
    for name in part_names:
        if not parts[name]:
            summary.warnings.append(f"split part {name!r} matches no sentence: {name}.spacy is empty")
    out: Dict[str, List[Doc]] = {}
    for name in part_names:
        part = Summary(input=str(path), format="csv", scheme=scheme)
        docs = build_docs(vocab, group_sentences(parts[name], n_sents), scheme, summary.oddities, label_map)
        if parts[name]:
            part.notes.append(f"sentence ids {parts[name][0].sent_id:,}-{parts[name][-1].sent_id:,}")
        out[name] = docs
        summary.parts[name] = part.count_docs(docs)
        for key in ("documents", "sentences", "tokens"):
            setattr(summary, key, getattr(summary, key) + getattr(part, key))
        for label, n in part.entities.items():
            summary.entities[label] = summary.entities.get(label, 0) + n
    summary.entities = dict(sorted(summary.entities.items()))
    return out, summary
