"""Entities already on a doc (set by an `entity_ruler`, a rule, a user)
before the component runs: kept, as spaCy's `ner` keeps them.

Their tokens' tags are fixed by masking the model's scores before decoding:
every other tag of such a token is ruled out (a CRF emission becomes -inf, as a
forbidden transition is; a softmax probability becomes 0). So
Viterbi, the k best analyses and forward-backward (entity probabilities,
label alternatives, uncertainty) all condition on the pre-set entities, with
no change to the decoders. Tokens outside them stay free, whether marked `O`
or missing. A pre-set label the model does not know fixes its tokens to `O`
(the model has no tag for it) and the span itself is kept as it was.
"""
from itertools import accumulate
from typing import Dict, List, Optional, Sequence

import numpy
from spacy.tokens import Doc, Span
from thinc.api import Model
from thinc.types import Floats2d

from ...ml.heads import Head, head_of
from .decoding import Decoded, NBest
from .tags import biluo_to_scheme, check_scheme, tag_index

FREE = -1  # a token whose tag the decoder chooses


def fixed_tag_ids(
    docs: Sequence[Doc], tags: Sequence[str], scheme: str, segments: Optional[List[List[int]]] = None
) -> List[numpy.ndarray]:
    """Per doc, (len(doc),) the tag id each token is fixed to by the doc's
    entities, FREE elsewhere.

    segments: per doc, the lengths of the sequences it is decoded as (its
    sentences); an entity across a boundary is fixed as one entity per
    sequence, as no valid tag sequence crosses one."""
    index = tag_index(tags)
    check_scheme(scheme)
    out = []
    for i, doc in enumerate(docs):
        fixed = numpy.full((len(doc),), FREE, dtype="int64")
        ents = doc.ents
        if ents:
            bounds = [] if segments is None else list(accumulate(segments[i][:-1]))
            for ent in ents:
                starts = [b for b in bounds if ent.start < b < ent.end]
                for start, end in zip([ent.start, *starts], [*starts, ent.end]):
                    fixed[start:end] = _entity_tag_ids(index, ent.label_, end - start, scheme)
        out.append(fixed)
    return out


def _entity_tag_ids(index: Dict[str, int], label: str, length: int, scheme: str) -> List[int]:
    """The tag ids of an entity of `length` tokens; all `O` for a label the model does not know."""
    if f"B-{label}" not in index:
        return [index["O"]] * length
    biluo = [f"U-{label}"] if length == 1 else [f"B-{label}", *[f"I-{label}"] * (length - 2), f"L-{label}"]
    return [index[tag] for tag in biluo_to_scheme(biluo, scheme)]


def mask_scores(model: Model, scores: List[Floats2d], fixed: List[numpy.ndarray]) -> List[Floats2d]:
    """The model's scores with every tag but the fixed one ruled out on fixed
    tokens (all docs' rows masked at once, in a copy)."""
    xp = model.ops.xp
    all_fixed = numpy.concatenate(fixed)
    rows = numpy.flatnonzero(all_fixed != FREE)
    flat = xp.concatenate(scores, axis=0)
    keep = numpy.zeros((len(rows), flat.shape[1]), dtype=bool)
    keep[numpy.arange(len(rows)), all_fixed[rows]] = True
    keep, rows_x = xp.asarray(keep), xp.asarray(rows)
    if head_of(model) is Head.CRF:
        flat[rows_x] = xp.where(keep, flat[rows_x], -xp.inf)
    else:
        flat[rows_x] = keep.astype(flat.dtype)
    return xp.split(flat, numpy.cumsum([len(s) for s in scores])[:-1].tolist())


def drop_broken_analyses(decoded: Decoded, fixed: List[numpy.ndarray]) -> Decoded:
    """The n best analyses without those that change a fixed tag. The CRF
    lattice never lists them (their emissions are -inf); the softmax heads'
    decoder floors probabilities at 1e-12, so it lists them when fewer than
    k analyses keep the pre-set entities."""
    if decoded.nbest is None:
        return decoded
    nbest = []
    for pieces, doc_fixed in zip(decoded.nbest, fixed):
        kept = []
        for start, end, analyses in pieces:
            piece = doc_fixed[start:end]
            cols = numpy.flatnonzero(piece != FREE)
            ok = (analyses.tag_ids[:, cols] == piece[cols]).all(axis=1)
            ok[:1] = True  # the best analysis is the decoded one, kept as is
            kept.append((start, end, NBest(analyses.tag_ids[ok], analyses.probs[ok])))
        nbest.append(kept)
    return decoded._replace(nbest=nbest)


def merge_preset(preset: Sequence[Span], decoded: Sequence[Span]) -> List[Span]:
    """The pre-set entities as they were, and the decoded ones that overlap
    none of them (decoded entities inside a pre-set one repeat it)."""
    taken = numpy.zeros((max([s.end for s in [*preset, *decoded]], default=0),), dtype=bool)
    for span in preset:
        taken[span.start:span.end] = True
    return sorted([*preset, *(s for s in decoded if not taken[s.start:s.end].any())], key=lambda s: s.start)
