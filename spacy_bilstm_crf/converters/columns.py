"""Line-level reader for whitespace-column files (CoNLL-2003, two-column TSV):
sentences are runs of token lines ended by blank lines."""
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

from .common import BLANK_CHARS, ConversionError, add_oddity, token_problem
from .iob import is_valid_tag, tag_error
from .tabular import RawDoc, RawSentence

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
    (any spelling) start documents; else everything is one document and the
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
        if docstart and line.startswith(DOCSTART):
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
