"""Tag schemes of the column formats: validating tags, telling IOB1 from IOB2,
converting to IOB2 (spaCy's `Doc(ents=...)` form), and the reverse export.

Entities are delimited the way `conlleval` counts chunks: a new entity starts at
every `B-X` and at every `I-X` that does not continue an entity of type X.
Sentence boundaries always end an entity.
"""
from typing import Dict, Iterable, List, Optional, Sequence

from spacy.tokens import Doc

SCHEMES = ("auto", "iob1", "iob2")

# Oddity names, as shown in the summary.
IOB2_STRAY_I = "I- tag not continuing an entity of its type (IOB2 input; starts an entity)"
IOB1_STRAY_B = "B- tag not after an entity of its type (IOB1 input; starts an entity)"


def is_valid_tag(tag: str) -> bool:
    return tag == "O" or (len(tag) > 2 and tag[0] in "BI" and tag[1] == "-")


def tag_error(tag: str) -> str:
    return f"expected an NER tag 'O', 'B-TYPE' or 'I-TYPE', got {tag!r}"


def count_starts(sentences: Iterable[Sequence[str]]) -> Dict[str, int]:
    """How many entities open with I- and how many B- tags do not follow an
    entity of their own type: the evidence for IOB1 versus IOB2."""
    i_starts = b_starts = 0
    for tags in sentences:
        prev = None
        for tag in tags:
            if tag == "O":
                prev = None
                continue
            kind = tag[2:]
            if prev != kind:
                if tag[0] == "I":
                    i_starts += 1
                else:
                    b_starts += 1
            prev = kind
    return {"I": i_starts, "B": b_starts}


def detect_scheme(sentences: Iterable[Sequence[str]]) -> str:
    """IOB1 opens (nearly) every entity with I-, IOB2 with B-: take the majority,
    so a few stray tags of either kind don't flip the decision."""
    starts = count_starts(sentences)
    return "iob1" if starts["I"] > starts["B"] else "iob2"


def to_iob2(
    tags: Sequence[str],
    scheme: str,
    oddities: Dict[str, int],
    label_map: Optional[Dict[str, str]] = None,
) -> List[str]:
    """One sentence's tags (IOB1 or IOB2) in IOB2, types renamed by label_map.

    Tags that don't fit the scheme start an entity, as conlleval reads them,
    and are counted in `oddities`."""
    out: List[str] = []
    prev = None
    n_stray = 0
    for tag in tags:
        if tag == "O":
            out.append("O")
            prev = None
            continue
        kind = tag[2:]
        if prev != kind:
            if scheme == "iob2" and tag[0] == "I":
                n_stray += 1
            elif scheme == "iob1" and tag[0] == "B":
                n_stray += 1
            prefix = "B-"
        else:
            prefix = tag[:2]
        prev = kind
        out.append(prefix + (label_map.get(kind, kind) if label_map else kind))
    if n_stray:
        name = IOB2_STRAY_I if scheme == "iob2" else IOB1_STRAY_B
        oddities[name] = oddities.get(name, 0) + n_stray
    return out


def docs_to_iob2_tags(docs: Iterable[Doc]) -> List[List[str]]:
    """The reverse export: one IOB2 tag list per sentence (`is_sent_start`), as
    it would be written back to the source's tag column. Tokens with missing
    entity annotation come out as 'O' (our converters never write missing)."""
    sentences: List[List[str]] = []
    for doc in docs:
        current: List[str] = []
        for token in doc:
            if token.is_sent_start and current:
                sentences.append(current)
                current = []
            iob = token.ent_iob_
            current.append(f"{iob}-{token.ent_type_}" if iob in ("B", "I") else "O")
        if current:
            sentences.append(current)
    return sentences
