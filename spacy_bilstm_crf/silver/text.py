"""Unlabelled, pre-tokenized text for a teacher to annotate (the input of
`python -m spacy_bilstm_crf distill`), read sentence by sentence.

Three formats, chosen by `input_format` or by the file's suffix:

* `text` (any other suffix): UTF-8, one sentence per line, tokens separated by
  whitespace; blank lines are skipped (and counted). What
  `python -m scripts.strip_labels` writes.
* `jsonl` (`.jsonl`, `.ndjson`): one object per line with a "tokens" list of
  non-blank strings (a token may hold a space, e.g. a NO-BREAK SPACE; other
  fields are ignored); blank lines are skipped.
* `docbin` (`.spacy`): a DocBin; each doc's sentences (the whole doc where it
  has no sentence boundaries) with its token texts. Its entities, if any, are
  not read: the teacher labels the tokens afresh.

The silver keeps these tokens as they are, so every bad line (or doc) is
refused with its file and number, never skipped or re-tokenized.
"""
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Optional, Tuple, Union

from spacy.tokens import DocBin
from spacy.vocab import Vocab

from ..errors import Errors

FORMATS = ("text", "jsonl", "docbin")
SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".spacy": "docbin"}
BOM = "\ufeff"


class TextError(ValueError):
    """Unlabelled text that cannot be read as asked, with the file and line."""


@dataclass
class TextStats:
    """What a full read found."""

    sentences: int = 0
    tokens: int = 0
    blank_lines: int = 0


def detect_format(path: Union[str, Path], input_format: Optional[str] = None) -> str:
    """`input_format` if given (checked), else the format of the suffix."""
    if input_format is None:
        return SUFFIXES.get(Path(path).suffix.lower(), "text")
    if input_format not in FORMATS:
        raise TextError(Errors.E244.format(value=input_format, choices=", ".join(FORMATS)))
    return input_format


def read_sentences(path: Union[str, Path], input_format: Optional[str] = None, *, max_tokens: int = 500,
                   stats: Optional[TextStats] = None) -> Iterator[List[str]]:
    """The sentences of `path` as lists of tokens, in file order. A bad line
    raises TextError (E240, E241) naming the file and line (or doc); a
    sentence of more than `max_tokens` tokens is refused, as it is most
    likely a paragraph or a document on one line. `stats`, if given, is
    filled in as the file is read."""
    path = Path(path)
    stats = stats if stats is not None else TextStats()
    fmt = detect_format(path, input_format)
    if fmt == "docbin":
        source = _docbin_sentences(path, max_tokens, stats)
    else:
        source = _line_sentences(path, fmt, max_tokens, stats)
    for sentence in source:
        stats.sentences += 1
        stats.tokens += len(sentence)
        yield sentence


def check_text(path: Union[str, Path], input_format: Optional[str] = None, *, max_tokens: int = 500) -> TextStats:
    """Read the whole input once, before any work: its counts, or the first
    bad line's error; E243 if it holds no sentence."""
    stats = TextStats()
    for _ in read_sentences(path, input_format, max_tokens=max_tokens, stats=stats):
        pass
    if not stats.sentences:
        raise TextError(Errors.E243.format(path=path, n_blank=stats.blank_lines))
    return stats


def _open(path: Path):
    try:
        return path.open("rb")
    except OSError as err:
        raise TextError(Errors.E242.format(path=path, error=err.strerror or err)) from None


def _line_sentences(path: Path, fmt: str, max_tokens: int, stats: TextStats) -> Iterator[List[str]]:
    if not path.is_file():
        raise TextError(Errors.E242.format(path=path, error="no such file"))
    with _open(path) as f:
        for number, raw in enumerate(f, start=1):
            try:
                line = raw.decode("utf8")
            except UnicodeDecodeError as err:
                raise TextError(Errors.E240.format(path=path, line=number, expected="UTF-8 text",
                                                   problem=f"byte {err.start + 1} is not UTF-8 ({err.reason})"))
            if number == 1 and line.startswith(BOM):
                line = line[len(BOM):]
            if not line.strip():
                stats.blank_lines += 1
                continue
            tokens, problem = (line.split(), "") if fmt == "text" else _json_tokens(line)
            if problem:
                raise TextError(Errors.E240.format(path=path, line=number, problem=problem, expected=JSONL_EXPECTED))
            if len(tokens) > max_tokens:
                raise TextError(Errors.E240.format(
                    path=path, line=number, problem=f"it has {len(tokens):,} tokens, more than --max-tokens {max_tokens:,}",
                    expected="one sentence per line (raise --max-tokens for longer sentences)"))
            yield tokens


JSONL_EXPECTED = 'a JSON object with "tokens": a non-empty list of non-blank strings'


def _json_tokens(line: str) -> Tuple[List[str], str]:
    """The tokens of a JSONL line, or what is wrong with it (else "")."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as err:
        return [], f"it is not JSON ({err.msg}, column {err.colno})"
    if not isinstance(obj, dict):
        return [], f"it is a JSON {type(obj).__name__}, not an object"
    if "tokens" not in obj:
        return [], 'it has no "tokens" field'
    tokens = obj["tokens"]
    if not isinstance(tokens, list) or not tokens:
        return [], f'"tokens" is {tokens!r}'
    for i, token in enumerate(tokens):
        if not isinstance(token, str) or not token.strip():
            return [], f"token {i + 1} is {token!r}"
    return tokens, ""


def _docbin_sentences(path: Path, max_tokens: int, stats: TextStats) -> Iterator[List[str]]:
    if not path.is_file():
        raise TextError(Errors.E242.format(path=path, error="no such file"))
    try:
        docs = DocBin().from_disk(path).get_docs(Vocab())
    except Exception as err:  # noqa: BLE001 -- any failure to read is reported the same way
        raise TextError(Errors.E242.format(path=path, error=f"not a DocBin ({type(err).__name__}: {err})")) from None
    for number, doc in enumerate(docs, start=1):
        if not len(doc):
            stats.blank_lines += 1
            continue
        spans = list(doc.sents) if doc.has_annotation("SENT_START") else [doc[:]]
        for span in spans:
            tokens = [t.text for t in span]
            bad = next((t for t in span if not t.text.strip()), None)
            if bad is not None:
                raise TextError(Errors.E241.format(path=path, doc=number, problem=f"token {bad.i + 1} is {bad.text!r}",
                                                   expected="pre-tokenized docs: no blank (whitespace-only) tokens"))
            if len(tokens) > max_tokens:
                problem = f"a sentence at token {span.start + 1} has {len(tokens):,} tokens, more than --max-tokens {max_tokens:,}"
                raise TextError(Errors.E241.format(path=path, doc=number, problem=problem,
                                                   expected="sentence boundaries (raise --max-tokens for longer sentences)"))
            yield tokens
