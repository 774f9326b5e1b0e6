"""The one reader of column files, token per line, sentences ended by blank
lines, for both column formats:

* `conll`: CoNLL-2003 (`token POS chunk NER`, space separated). A line whose
  first field is exactly `-DOCSTART-`, whatever its other fields, starts a
  document (spaCy's own converter knows only `-DOCSTART- -X- O O`);
  `-DOCSTART-x NNP B-NP B-PER` is a token. Files without document markers
  are grouped into documents of n_sents sentences.
* `tsv`: two-column `token<TAB>tag` files (e.g. BC5CDR-IOB). Named `tsv`
  because spaCy's `iob` converter means `word|tag`. There are no document
  markers, so documents are groups of n_sents sentences.
"""
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from spacy.tokens import Doc
from spacy.vocab import Vocab

from .inputs import BLANK_CHARS, read_input, token_problem
from .iob import is_valid_tag, tag_error
from .report import ConversionError, PathLike, Summary, add_oddity
from .tabular import RawDoc, RawSentence, build_docs, group_sentences, resolve_scheme


@dataclass(frozen=True)
class ColumnFormat:
    name: str
    sep: str
    sep_name: str
    # The exact column count, or None: the first token line's (at least 2).
    n_cols: Optional[int]
    # Whether `-DOCSTART-` lines start documents.
    docstart: bool


CONLL = ColumnFormat("conll", sep=" ", sep_name="space", n_cols=None, docstart=True)
TSV = ColumnFormat("tsv", sep="\t", sep_name="tab", n_cols=2, docstart=False)


def column_file_to_docs(
    path: PathLike,
    column_format: ColumnFormat,
    *,
    vocab: Optional[Vocab] = None,
    scheme: str = "auto",
    n_sents: int = 10,
    label_map: Optional[Dict[str, str]] = None,
    encoding: Optional[str] = None,
    progress: Optional[Callable[[int], None]] = None,
) -> Tuple[List[Doc], Summary]:
    """Read a column file of `column_format` into Docs and the report."""
    path = Path(path)
    summary = Summary(input=str(path), format=column_format.name)
    text = read_input(path, encoding, summary)
    raw_docs, spellings = read_columns(
        path, text, sep=column_format.sep, sep_name=column_format.sep_name, n_cols=column_format.n_cols,
        docstart=column_format.docstart, oddities=summary.oddities, progress=progress,
    )
    if spellings:
        for spelling, n in spellings.items():
            summary.notes.append(f"{n:,} document markers {spelling!r}")
    else:
        raw_docs = group_sentences(raw_docs[0], n_sents)
        summary.notes.append(
            f"no -DOCSTART- lines: documents of {n_sents} sentences" if column_format.docstart
            else f"documents of {n_sents} sentences (the format has no document markers)"
        )
    scheme = resolve_scheme(raw_docs, scheme, summary)
    docs = build_docs(vocab or Vocab(), raw_docs, scheme, summary.oddities, label_map)
    return docs, summary.count_docs(docs)


def conll_to_docs(path: PathLike, **options: Any) -> Tuple[List[Doc], Summary]:
    """CoNLL-2003 to Docs; options as in `column_file_to_docs`."""
    return column_file_to_docs(path, CONLL, **options)


def tsv_to_docs(path: PathLike, **options: Any) -> Tuple[List[Doc], Summary]:
    """Two-column `token<TAB>tag` files to Docs; options as in `column_file_to_docs`."""
    return column_file_to_docs(path, TSV, **options)

DOCSTART = "-DOCSTART-"
CRLF = "CRLF line endings"
NO_FINAL_NEWLINE = "missing final newline"
TRAILING_SPACE = "trailing whitespace on a token line (ignored)"
EXTRA_BLANK = "extra blank lines"
EMPTY_DOCS = "-DOCSTART- documents without sentences (skipped)"
LEADING_TOKENS = "tokens before the first -DOCSTART- (kept as a document)"


def read_columns(
    path: Path,
    text: str,
    *,
    sep: str,
    sep_name: str,
    n_cols: Optional[int],
    docstart: bool,
    oddities: Dict[str, int],
    progress: Optional[Callable[[int], None]] = None,
) -> Tuple[List[RawDoc], Dict[str, int]]:
    """Parse `text` into documents of sentences.

    n_cols: the exact column count, or None to take the first token line's
    (at least 2) for the whole file. The NER tag is the last column, the POS
    the second when there are 3 or more. With `docstart`, `-DOCSTART-` lines
    (first field exactly -DOCSTART-, any other fields) start documents; else everything is one document and the
    caller groups sentences. Returns the docs and the -DOCSTART- spellings.
    """
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    else:
        add_oddity(oddities, NO_FINAL_NEWLINE)
    docs: List[RawDoc] = [[]]
    spellings: Dict[str, int] = {}
    words: List[str] = []
    pos: List[str] = []
    ner: List[str] = []
    first_line = 0
    after_docstart = False
    leading_tokens = False
    n_cols_line: Optional[int] = None
    n_crlf = n_trailing = n_extra = 0
    valid_tags = set()
    for i, line in enumerate(lines, 1):
        if progress is not None and not i % 10_000:
            progress(i)
        if line.endswith("\r"):
            n_crlf += 1
            line = line[:-1]
        stripped = line.rstrip(BLANK_CHARS)
        if stripped and not stripped.strip():
            raise ConversionError(
                path, i, f"a line of only Unicode whitespace {line!r}: a sentence break is an empty line"
            )
        if not stripped:
            if words:
                docs[-1].append(RawSentence(words, pos or None, ner, first_line))
                words, pos, ner = [], [], []
            elif after_docstart:
                after_docstart = False
            else:
                n_extra += 1
            continue
        if stripped != line:
            n_trailing += 1
            line = stripped
        if docstart and line.split(sep, 1)[0] == DOCSTART:
            if words:
                docs[-1].append(RawSentence(words, pos or None, ner, first_line))
                words, pos, ner = [], [], []
            if not spellings:
                leading_tokens = bool(docs[-1])
            if docs[-1] or spellings:
                docs.append([])
            spellings[line] = spellings.get(line, 0) + 1
            after_docstart = True
            continue
        after_docstart = False
        cols = line.split(sep)
        if n_cols is None:
            if len(cols) < 2:
                raise ConversionError(
                    path, i, f"expected at least 2 {sep_name}-separated columns "
                    f"(token ... NER tag), got {len(cols)}: {line!r}"
                )
            n_cols = len(cols)
            n_cols_line = i
        elif len(cols) != n_cols:
            where = f" (as on line {n_cols_line})" if n_cols_line else ""
            raise ConversionError(
                path, i, f"expected {n_cols} {sep_name}-separated columns{where}, "
                f"got {len(cols)}: {line!r}"
            )
        tag = cols[-1]
        if tag not in valid_tags:
            if not is_valid_tag(tag):
                raise ConversionError(path, i, tag_error(tag))
            valid_tags.add(tag)
        problem = token_problem(cols[0])
        if problem:
            raise ConversionError(path, i, f"{problem} in column 1: {line!r}")
        if not words:
            first_line = i
        words.append(cols[0])
        if n_cols >= 3:
            pos.append(cols[1])
        ner.append(tag)
    if words:
        docs[-1].append(RawSentence(words, pos or None, ner, first_line))
    if spellings:
        add_oddity(oddities, EMPTY_DOCS, sum(1 for doc in docs if not doc))
    docs = [doc for doc in docs if doc]
    if not docs:
        raise ConversionError(path, len(lines), "no token lines found")
    add_oddity(oddities, CRLF, n_crlf)
    add_oddity(oddities, TRAILING_SPACE, n_trailing)
    add_oddity(oddities, EXTRA_BLANK, n_extra)
    add_oddity(oddities, LEADING_TOKENS, int(leading_tokens))
    return docs, spellings
