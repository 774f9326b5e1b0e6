"""Losses of the two heads over a batch, with missing gold tags (-1) masked.

Both are sums over tokens (like spaCy's tagger, `normalize=False`).
"""
from typing import List, Optional, Tuple

import numpy
from thinc.api import Model
from thinc.types import Floats2d, Ints1d

from ...ml.layers.crf_params import inc_crf_grads
from .decoding import Constraints, Sequences, lattice_of


def softmax_loss(
    model: Model, probs: List[Floats2d], gold: List[Ints1d]
) -> Tuple[float, List[Floats2d]]:
    """Cross-entropy; the gradient is w.r.t. the softmax's input (thinc's
    `Softmax` backprop expects `probs - truth`)."""
    ops = model.ops
    flat = ops.to_numpy(ops.flatten(probs, pad=0))  # on the host, like the gold ids (a no-op on the CPU)
    gold_flat = numpy.concatenate(gold) if gold else numpy.zeros((0,), dtype="int32")
    known = numpy.nonzero(gold_flat >= 0)[0]
    d_flat = flat.copy()
    d_flat[known, gold_flat[known]] -= 1.0
    d_flat[gold_flat < 0] = 0.0
    loss = -float(numpy.log(numpy.maximum(flat[known, gold_flat[known]], 1e-12)).sum())
    lengths = ops.asarray1i([len(p) for p in probs])
    return loss, ops.unflatten(ops.asarray2f(d_flat), lengths)


def crf_loss(
    model: Model,
    emissions: List[Floats2d],
    gold: List[Ints1d],
    constraints: Optional[Constraints],
    segments: Optional[List[List[int]]] = None,
) -> Tuple[float, List[Floats2d]]:
    """CRF negative log-likelihood of each doc's gold tags, or of each of
    its sequences (`segments`: per doc, its sentences' lengths; see
    `decoding.Sequences`). Increments the gradients of the model's CRF
    parameters and returns the gradient of the emissions, per doc."""
    ops = model.ops
    d_scores = [ops.alloc2f(*e.shape) for e in emissions]
    nonempty = [i for i, e in enumerate(emissions) if len(e)]
    if not nonempty:
        return 0.0, d_scores
    seqs = Sequences.of(emissions, segments)
    lattice = lattice_of(model, [emissions[i] for i in nonempty], seqs.lengths[seqs.nonempty], constraints)
    gold_flat = numpy.concatenate([gold[i] for i in nonempty]).astype("int64")
    out = lattice.nll(gold_flat)
    inc_crf_grads(model.get_ref("crf"), (out.d_transitions, out.d_start, out.d_end))
    d_nonempty = ops.unflatten(ops.asarray2f(out.d_em.astype("float32")), ops.asarray1i([len(emissions[i]) for i in nonempty]))
    for i, d in zip(nonempty, d_nonempty):
        d_scores[i] = d
    # Summed in float64, reported in float32 (as the loss always was).
    return float(numpy.float32(out.value)), d_scores
