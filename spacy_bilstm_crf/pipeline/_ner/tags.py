"""Tag schemes (BILUO, BIO): tag inventories, legal transitions, and the
conversions between spaCy's BILUO gold tags, tag ids and entity spans.

Decoding under these transition constraints is what guarantees that
`doc.ents` is always built from a valid sequence.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy
from spacy.tokens import Doc, Span
from spacy.training import iob_to_biluo

from ...errors import Errors

SCHEMES = ("BILUO", "BIO")
_PREFIXES = {"BILUO": ("B", "I", "L", "U"), "BIO": ("B", "I")}


def check_scheme(scheme: str) -> str:
    if scheme not in SCHEMES:
        raise ValueError(Errors.E001.format(scheme=scheme, choices=", ".join(SCHEMES)))
    return scheme


def get_tags(labels: Sequence[str], scheme: str) -> List[str]:
    """The tag inventory: "O" first, then each label's prefixes, label order kept."""
    prefixes = _PREFIXES[check_scheme(scheme)]
    return ["O"] + [f"{p}-{label}" for label in labels for p in prefixes]


def _split(tag: str) -> Tuple[str, str]:
    return ("O", "") if tag == "O" else (tag[0], tag[2:])


def allowed_transitions(
    tags: Sequence[str], scheme: str
) -> Tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """Boolean masks of legal (from, to) transitions, start tags and end tags."""
    check_scheme(scheme)
    n = len(tags)
    trans = numpy.zeros((n, n), dtype=bool)
    start = numpy.zeros((n,), dtype=bool)
    end = numpy.zeros((n,), dtype=bool)
    parts = [_split(t) for t in tags]
    for j, (p_to, l_to) in enumerate(parts):
        start[j] = p_to in ("O", "B", "U")
        if scheme == "BILUO":
            end[j] = p_to in ("O", "L", "U")
        else:
            end[j] = True
        for i, (p_from, l_from) in enumerate(parts):
            inside = p_from in ("B", "I")
            if scheme == "BILUO":
                if inside:
                    trans[i, j] = p_to in ("I", "L") and l_to == l_from
                else:
                    trans[i, j] = p_to in ("O", "B", "U")
            else:
                if p_to == "I":
                    trans[i, j] = inside and l_to == l_from
                else:
                    trans[i, j] = True
    return trans, start, end


def biluo_to_scheme(tags: Sequence[Optional[str]], scheme: str) -> List[Optional[str]]:
    """spaCy's aligned gold is BILUO with None for missing; map it to `scheme`."""
    if check_scheme(scheme) == "BILUO":
        return list(tags)
    out: List[Optional[str]] = []
    for tag in tags:
        if tag is None or tag == "O":
            out.append(tag)
        elif tag[0] in "BU":
            out.append("B" + tag[1:])
        else:
            out.append("I" + tag[1:])
    return out


def tag_ids_to_offsets(
    tag_ids: Sequence[int], tags: Sequence[str], scheme: str
) -> List[Tuple[int, int, str]]:
    """(start, end, label) token offsets of the entities of a valid sequence."""
    strings = [tags[int(i)] for i in tag_ids]
    if scheme == "BIO":
        strings = iob_to_biluo(strings)
    offsets = []
    start = 0
    for i, tag in enumerate(strings):
        prefix = tag[0]
        if prefix == "U":
            offsets.append((i, i + 1, tag[2:]))
        elif prefix == "B":
            start = i
        elif prefix == "L":
            offsets.append((start, i + 1, tag[2:]))
    return offsets


def tag_ids_to_spans(
    doc: Doc, tag_ids: Sequence[int], tags: Sequence[str], scheme: str
) -> List[Span]:
    """Entity spans of a valid decoded tag sequence."""
    return [Span(doc, s, e, label=label) for s, e, label in tag_ids_to_offsets(tag_ids, tags, scheme)]


def continuation_ids(tags: Sequence[str], scheme: str) -> numpy.ndarray:
    """For each tag, the tag that would extend an entity ending there (BIO:
    I-X after B-X or I-X), -1 where none can (every BILUO tag: L and U close)."""
    index = tag_index(tags)
    out = numpy.full((len(tags),), -1, dtype="int64")
    if check_scheme(scheme) == "BIO":
        for i, tag in enumerate(tags):
            if tag != "O":
                out[i] = index["I-" + tag[2:]]
    return out


def tag_index(tags: Sequence[str]) -> Dict[str, int]:
    return {tag: i for i, tag in enumerate(tags)}


def mask_invalid_gold(
    ids: numpy.ndarray,
    allowed: Tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray],
    lengths: Optional[Sequence[int]] = None,
) -> Tuple[numpy.ndarray, int]:
    """Gold tag ids of consecutive sequences (`lengths`, default: one
    sequence) with the tags that break the scheme's constraints set to
    missing (-1), and how many were.

    A sentence boundary inside a gold entity (a sentencizer's mistake) leaves
    a sentence that ends on B/I or starts on I/L. Under a constrained CRF such
    a gold path has probability ~0: its loss is ~10,000 and it pulls towards
    a labelling the decoder can never output. Marking the offending tags as
    missing lets the likelihood sum over the valid completions instead.
    """
    trans, start, end = allowed
    ids = ids.copy()
    if len(ids) == 0:
        return ids, 0
    sizes = numpy.asarray([len(ids)] if lengths is None else lengths, dtype="int64")
    sizes = sizes[sizes > 0]
    firsts = numpy.cumsum(sizes) - sizes
    lasts = firsts + sizes - 1
    bad = numpy.zeros((len(ids),), dtype=bool)
    known = ids >= 0
    bad[firsts] |= known[firsts] & ~start[numpy.maximum(ids[firsts], 0)]
    bad[lasts] |= known[lasts] & ~end[numpy.maximum(ids[lasts], 0)]
    # Transitions inside each sequence, none across a boundary.
    pairs = known[:-1] & known[1:]
    pairs[lasts[:-1]] = False
    broken = numpy.zeros((len(ids) - 1,), dtype=bool)
    broken[pairs] = ~trans[ids[:-1][pairs], ids[1:][pairs]]
    bad[:-1] |= broken
    bad[1:] |= broken
    ids[bad] = -1
    return ids, int(bad.sum())



def relabel_ids(tags: Sequence[str], label: str) -> numpy.ndarray:
    """For each tag id, the id of the same prefix with `label` ("O" stays):
    the tags of an entity span under another label."""
    index = tag_index(tags)
    return numpy.asarray([0 if tag == "O" else index[f"{tag[0]}-{label}"] for tag in tags], dtype="int64")


def labels_of(tags: Sequence[str]) -> List[str]:
    """The entity labels of a tag inventory, in order."""
    return list(dict.fromkeys(tag[2:] for tag in tags if tag != "O"))
