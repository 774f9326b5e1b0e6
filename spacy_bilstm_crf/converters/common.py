"""What every converter shares: the error type, the summary report, reading
text with a useful decode error, and the checks of tokens and blank lines.

Readers parse the whole input before anything is written (outputs.py), so a
bad input never leaves a partial `.spacy` file behind.
"""
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Set, Union

from spacy.tokens import Doc, DocBin

from ..errors import Errors

PathLike = Union[str, Path]


class ConversionError(ValueError):
    """Bad input: says which file, which line (1-based) and what was expected."""

    def __init__(self, path: PathLike, line: Optional[int], message: str) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        where = self.path if line is None else f"{self.path}, line {line}"
        super().__init__(f"{where}: {message}")


@dataclass
class MentionNote:
    """A PubTator mention kept only in the span group (it overlaps one in doc.ents)."""

    pmid: str
    start: int
    end: int
    text: str
    label: str
    line: int
    detail: str = ""

    def __str__(self) -> str:
        out = f"PMID {self.pmid} [{self.start}, {self.end}) {self.label} {self.text!r}"
        return f"{out} ({self.detail})" if self.detail else out


@dataclass
class Summary:
    """The report of one conversion: what was written and every oddity met."""

    input: str
    format: str
    output: Optional[str] = None
    documents: int = 0
    sentences: int = 0
    tokens: int = 0
    entities: Dict[str, int] = field(default_factory=dict)
    scheme: Optional[str] = None
    # Tolerated oddities of the input, counted, e.g. "missing final newline".
    oddities: Dict[str, int] = field(default_factory=dict)
    # PubTator: mentions read per type (all are in the span group).
    mentions: Dict[str, int] = field(default_factory=dict)
    # PubTator: overlapping mentions kept in the span group but not in doc.ents.
    span_group_only: List[MentionNote] = field(default_factory=list)
    relation_lines_ignored: int = 0
    notes: List[str] = field(default_factory=list)
    # Things the user probably did not mean (a --label-map key matching nothing, ...).
    warnings: List[str] = field(default_factory=list)
    # Entity types as read, before any --label-map renaming.
    source_labels: Set[str] = field(default_factory=set)
    # Split conversions: one summary per output part.
    parts: Dict[str, "Summary"] = field(default_factory=dict)

    def count_docs(self, docs: Iterable[Doc]) -> "Summary":
        """Fill the totals from the Docs as built, i.e. from what is written."""
        entities: Counter = Counter(self.entities)
        for doc in docs:
            self.documents += 1
            self.tokens += len(doc)
            self.sentences += sum(1 for token in doc if token.is_sent_start)
            entities.update(ent.label_ for ent in doc.ents)
        self.entities = dict(sorted(entities.items()))
        return self

    @property
    def n_entities(self) -> int:
        return sum(self.entities.values())


def add_oddity(oddities: Dict[str, int], name: str, n: int = 1) -> None:
    if n:
        oddities[name] = oddities.get(name, 0) + n


BOM = "UTF-8 byte-order mark (stripped)"
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Only these make a line blank: a line of non-breaking spaces is not a break.
BLANK_CHARS = " \t"


def is_blank_line(line: str) -> bool:
    return not line.strip(BLANK_CHARS)


def read_text(path: PathLike, encoding: str, oddities: Optional[Dict[str, int]] = None) -> str:
    """Decode a whole file; a decode error names the line and the encoding.

    A UTF-8 byte-order mark is stripped (and counted in `oddities`); NUL
    characters (a UTF-16 file read as 8-bit, a binary file) are an error."""
    path = Path(path)
    if not path.is_file():
        raise ConversionError(path, None, "no such file")
    data = path.read_bytes()
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM):]
        if oddities is not None:
            add_oddity(oddities, BOM)
    if data.startswith(UTF16_BOMS) and not encoding.lower().replace("-", "").startswith("utf16"):
        raise ConversionError(path, 1, f"the file starts with a UTF-16 byte-order mark: pass --encoding utf-16 "
                                       f"(read as {encoding})")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        byte = data[err.start : err.start + 1]
        raise ConversionError(
            path,
            line,
            f"byte 0x{byte.hex()} at offset {err.start} cannot be decoded as "
            f"{encoding} ({err.reason}); pass the file's encoding",
        ) from None
    except LookupError:
        raise ConversionError(path, None, f"unknown encoding {encoding!r}") from None
    if text.startswith("\ufeff"):  # a BOM in another encoding (utf-16, utf-8-sig read as utf-8 twice)
        text = text[1:]
        if oddities is not None:
            add_oddity(oddities, BOM)
    nul = text.find("\x00")
    if nul >= 0:
        raise ConversionError(
            path, text.count("\n", 0, nul) + 1,
            f"NUL character in the text (read as {encoding}): a binary or UTF-16 file? pass its encoding",
        )
    if not text.strip():
        raise ConversionError(path, 1, "empty file: expected at least one token line")
    return text


def token_problem(token: str) -> str:
    """Why `token` cannot be a token as is, or "" when it can: tokens have no
    whitespace (ASCII or Unicode) and no control characters."""
    if not token:
        return "empty token"
    bad = next((c for c in token if c.isspace() or unicodedata.category(c) == "Cc"), None)
    if bad is not None:
        return f"token {token!r} contains {unicodedata.name(bad, 'a control character')} ({bad!r})"
    return ""


def parse_label_map(spec: Optional[str]) -> Dict[str, str]:
    """'geo=GEO,per=PER' -> {'geo': 'GEO', 'per': 'PER'}."""
    if not spec:
        return {}
    mapping: Dict[str, str] = {}
    for item in spec.split(","):
        old, sep, new = item.partition("=")
        old, new = old.strip(), new.strip()
        if not sep or not old or not new:
            raise ValueError(Errors.E403.format(item=item))
        mapping[old] = new
    return mapping


class LineProgress:
    """Prints a line counter to stderr every `every` lines, for long inputs."""

    def __init__(self, label: str, every: int = 100_000, enabled: bool = True) -> None:
        self.label = label
        self.every = every
        self.enabled = enabled
        self.next_at = every

    def __call__(self, n_lines: int) -> None:
        if self.enabled and n_lines >= self.next_at:
            print(f"  {self.label}: {n_lines:,} lines read", file=sys.stderr, flush=True)
            self.next_at = (n_lines // self.every + 1) * self.every


def read_docbin(path: PathLike, vocab) -> List[Doc]:
    return list(DocBin().from_disk(path).get_docs(vocab))
