"""Entities already on a doc (set by an `entity_ruler`, a rule, a user)
before the component runs: kept, as spaCy's `ner` keeps them.

Their tokens' tags are fixed by masking the model's scores before decoding:
every other tag of such a token is ruled out (a CRF emission gets the same
penalty as a forbidden transition; a softmax probability becomes 0). So
Viterbi, the k best analyses and forward-backward (entity probabilities,
label alternatives, uncertainty) all condition on the pre-set entities, with
no change to the decoders. Tokens outside them stay free, whether marked `O`
or missing. A pre-set label the model does not know fixes its tokens to `O`
(the model has no tag for it) and the span itself is kept as it was.
"""
from typing import List, Optional, Sequence

import numpy
from spacy.tokens import Doc, Span
from thinc.api import Model
from thinc.types import Floats2d

from ...ml.crf import PENALTY
from ...ml.heads import Head, head_of
from .decoding import Decoded, NBest
from .tags import check_scheme, tag_index

FREE = -1  # a token whose tag the decoder chooses


def fixed_tag_ids(doc: Doc, tags: Sequence[str], scheme: str, segments: Optional[List[int]] = None) -> numpy.ndarray:
    """(len(doc),) the tag id each token is fixed to by the doc's entities, FREE elsewhere.

    segments: the lengths of the sequences the doc is decoded as (its
    sentences); an entity across a boundary is fixed as one entity per
    sequence, as no valid tag sequence crosses one."""
    index = tag_index(tags)
    fixed = numpy.full((len(doc),), FREE, dtype="int64")
    bounds = numpy.cumsum([0] + list(segments or [len(doc)]))
    for ent in doc.ents:
        starts = [b for b in bounds[1:-1] if ent.start < b < ent.end]
        for start, end in zip([ent.start] + starts, starts + [ent.end]):
            if f"B-{ent.label_}" not in index:
                fixed[start:end] = index["O"]  # a label the model does not know
            else:
                fixed[start:end] = [index[tag] for tag in _entity_tags(ent.label_, end - start, scheme)]
    return fixed


def _entity_tags(label: str, length: int, scheme: str) -> List[str]:
    if check_scheme(scheme) == "BIO":
        return [f"B-{label}"] + [f"I-{label}"] * (length - 1)
    if length == 1:
        return [f"U-{label}"]
    return [f"B-{label}"] + [f"I-{label}"] * (length - 2) + [f"L-{label}"]


def mask_scores(model: Model, scores: List[Floats2d], fixed: List[numpy.ndarray]) -> List[Floats2d]:
    """The model's scores with every tag but the fixed one ruled out on fixed
    tokens (copies of the docs that have any; the others as they are)."""
    xp = model.ops.xp
    crf = head_of(model) is Head.CRF
    out = []
    for doc_scores, doc_fixed in zip(scores, fixed):
        rows = numpy.flatnonzero(doc_fixed != FREE)
        if not len(rows):
            out.append(doc_scores)
            continue
        keep = numpy.zeros((len(rows), doc_scores.shape[1]), dtype=bool)
        keep[numpy.arange(len(rows)), doc_fixed[rows]] = True
        keep, rows_x = xp.asarray(keep), xp.asarray(rows)
        masked = doc_scores.copy()
        if crf:
            masked[rows_x] = xp.where(keep, masked[rows_x], masked[rows_x] + PENALTY)
        else:
            masked[rows_x] = keep.astype(masked.dtype)
        out.append(masked)
    return out


def drop_broken_analyses(decoded: Decoded, fixed: List[numpy.ndarray]) -> Decoded:
    """The n best analyses without those that change a fixed tag. Under the
    mask their probability is 0 (the k-best decoder lists them only when
    fewer than k analyses keep the pre-set entities)."""
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
