"""Tag schemes of the column formats: validating tags, telling IOB1 from IOB2,
converting to IOB2 (spaCy's `Doc(ents=...)` form), and the reverse export.

Entities are delimited the way `conlleval` counts chunks: a new entity starts at
every `B-X` and at every `I-X` that does not continue an entity of type X.
Sentence boundaries always end an entity.
"""
import unicodedata
from typing import Dict, Iterable, List, Optional, Sequence

from spacy.tokens import Doc

SCHEMES = ("auto", "iob1", "iob2")

# Oddity names, as shown in the summary.
IOB2_STRAY_I = "I- tag not continuing an entity of its type (IOB2 input; starts an entity)"
IOB1_STRAY_B = "B- tag not after an entity of its type (IOB1 input; starts an entity)"


PREFIXES = ("B", "I")


def type_problem(kind: str) -> str:
    """Why `kind` is not a usable entity type, or "" when it is.

    A type has a letter or digit, is not `O`, and has no whitespace (ASCII or
    Unicode, e.g. a non-breaking space), control or format characters."""
    if not kind:
        return "the entity type is empty"
    if kind == "O":
        return "'O' is not an entity type"
    bad = next((c for c in kind if c.isspace() or unicodedata.category(c)[0] in "CZ"), None)
    if bad is not None:
        return f"the entity type contains {unicodedata.name(bad, repr(bad))} ({bad!r})"
    if not any(c.isalnum() for c in kind):
        return "the entity type has no letter or digit"
    return ""


def tag_problem(tag: str) -> str:
    """Why `tag` is not `O` or `PREFIX-TYPE` (B-/I-), or "" when it is."""
    if tag == "O":
        return ""
    prefix, sep, kind = tag.partition("-")
    if not sep:
        return "expected 'O' or PREFIX-TYPE"
    if prefix not in PREFIXES:
        hint = " (IOBES/BILUO tags are not supported: convert them to IOB2)" if prefix in (
            "E", "S", "L", "U") else ""
        return f"unknown prefix {prefix!r}: expected B- or I- (case matters){hint}"
    return type_problem(kind)


def is_valid_tag(tag: str) -> bool:
    return not tag_problem(tag)


def tag_error(tag: str) -> str:
    return f"expected an NER tag 'O', 'B-TYPE' or 'I-TYPE', got {tag!r}: {tag_problem(tag)}"


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


def iob2_tags(doc: Doc) -> List[str]:
    """IOB2 tags of a doc's entities, one per token (spaCy's ent_iob_ is
    already IOB2; missing annotation comes out as 'O')."""
    return [f"{t.ent_iob_}-{t.ent_type_}" if t.ent_iob_ in ("B", "I") else "O" for t in doc]


def docs_to_iob2_tags(docs: Iterable[Doc]) -> List[List[str]]:
    """The reverse export: one IOB2 tag list per sentence (`is_sent_start`), as
    it would be written back to the source's tag column. Tokens with missing
    entity annotation come out as 'O' (our converters never write missing)."""
    sentences: List[List[str]] = []
    for doc in docs:
        tags = iob2_tags(doc)
        starts = [i for i, token in enumerate(doc) if i == 0 or token.is_sent_start] + [len(doc)]
        sentences.extend(tags[a:b] for a, b in zip(starts, starts[1:]) if b > a)
    return sentences
