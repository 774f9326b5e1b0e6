"""What every converter shares: the error type, the summary report, reading
text with a useful decode error, and writing DocBins atomically.

Readers parse the whole input before anything is written, so a bad input
never leaves a partial `.spacy` file behind.
"""
import os
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Union

from spacy.tokens import Doc, DocBin

# TAG keeps the POS column, SENT_START the source's sentence boundaries.
DOCBIN_ATTRS = ["ORTH", "TAG", "ENT_IOB", "ENT_TYPE", "SENT_START"]

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
    """A PubTator mention that was changed (widened) or left out (dropped)."""

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
    # PubTator: mentions read per type (before overlaps are dropped).
    mentions: Dict[str, int] = field(default_factory=dict)
    widened: List[MentionNote] = field(default_factory=list)
    dropped: List[MentionNote] = field(default_factory=list)
    relation_lines_ignored: int = 0
    notes: List[str] = field(default_factory=list)
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


def read_text(path: PathLike, encoding: str) -> str:
    """Decode a whole file; a decode error names the line and the encoding."""
    path = Path(path)
    if not path.is_file():
        raise ConversionError(path, None, "no such file")
    data = path.read_bytes()
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
    if not text.strip():
        raise ConversionError(path, 1, "empty file: expected at least one token line")
    return text


def parse_label_map(spec: Optional[str]) -> Dict[str, str]:
    """'geo=GEO,per=PER' -> {'geo': 'GEO', 'per': 'PER'}."""
    if not spec:
        return {}
    mapping: Dict[str, str] = {}
    for item in spec.split(","):
        old, sep, new = item.partition("=")
        old, new = old.strip(), new.strip()
        if not sep or not old or not new:
            raise ValueError(f"Bad label map item {item!r}: expected OLD=NEW, e.g. geo=GEO")
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


def write_docbins(outputs: Dict[Path, List[Doc]]) -> None:
    """Write every DocBin to a temp file beside its target, then rename them
    all: a failure leaves no partial output."""
    temps: Dict[Path, Path] = {}
    try:
        for target, docs in outputs.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(
                dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
            )
            temps[target] = Path(tmp)
            with os.fdopen(fd, "wb") as file_:
                file_.write(DocBin(attrs=DOCBIN_ATTRS, docs=docs).to_bytes())
        for target, tmp in temps.items():
            os.replace(tmp, target)
    finally:
        for tmp in temps.values():
            if tmp.exists():
                tmp.unlink()


def read_docbin(path: PathLike, vocab) -> List[Doc]:
    return list(DocBin().from_disk(path).get_docs(vocab))
