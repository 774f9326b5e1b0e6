"""The report of a conversion (Summary, with every oddity of the input
counted) and the error a bad input raises (ConversionError: which file, which
line, what was expected)."""
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Set, Union

from spacy.attrs import SENT_START
from spacy.tokens import Doc

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
    # The encoding the input was read with (the summary's notes say why).
    encoding: Optional[str] = None
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
            self.sentences += int((doc.to_array(SENT_START) == 1).sum())
            entities.update(ent.label_ for ent in doc.ents)
        self.entities = dict(sorted(entities.items()))
        return self

    @property
    def n_entities(self) -> int:
        return sum(self.entities.values())


def add_oddity(oddities: Dict[str, int], name: str, n: int = 1) -> None:
    if n:
        oddities[name] = oddities.get(name, 0) + n
