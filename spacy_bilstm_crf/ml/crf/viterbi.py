"""Max-product on the packed layout: the best prefix scores, and the best
path of every sequence with a backtrace vectorized over the batch.

In numpy on the CPU, in the scores' own dtype: each step is a few small
array operations, where numpy's per-call cost is a fraction of torch's (a
2-3x faster decode at batch 128). The forward pass keeps only the max
scores, laid out (from, to, batch) so the max runs over the outermost axis
(an element-wise max of K slabs). The emission is added after the max:
adding one number to every candidate is monotonic under rounding, so the
max, and the path, equal pytorch-crf's (h + trans) + emission. The
backtrace recomputes each step's backpointer for the chosen tag only; each
step touches only the sequences still running. No per-sample Python loop
(pytorch-crf's `decode` backtraces each sample in Python).
"""
from typing import Tuple

import numpy

from ..packing import Packing
from .scores import CRFScores


def max_prefix_scores(em: numpy.ndarray, packing: Packing, transitions: numpy.ndarray, start: numpy.ndarray) -> numpy.ndarray:
    """Packed (K, N) emissions -> (N, K): the best score of a path prefix
    ending in each tag at each packed row (emission included)."""
    steps, sizes = packing.steps, packing.batch_sizes.tolist()
    n_tags = em.shape[0]
    trans = transitions[:, :, None]  # (K_from, K_to, 1)
    history = numpy.empty_like(em)
    history[:, : sizes[0]] = start[:, None] + em[:, : sizes[0]]
    candidates = numpy.empty((n_tags, n_tags, sizes[0]), dtype=em.dtype)
    for t in range(1, len(sizes)):
        n, here, prev = sizes[t], steps[t], steps[t - 1]
        work = candidates[:, :, :n]
        numpy.add(history[:, None, prev : prev + n], trans, out=work)
        out = history[:, here : here + n]
        work.max(axis=0, out=out)
        out += em[:, here : here + n]
    return numpy.ascontiguousarray(history.T)


def best_paths(history: numpy.ndarray, packing: Packing, scores: CRFScores) -> Tuple[numpy.ndarray, numpy.ndarray]:
    """From `max_prefix_scores` (N, K): packed (N,) tags and sorted (B,)
    scores of the best paths (-inf where a sequence has no allowed path)."""
    steps, sizes = packing.steps, packing.batch_sizes.tolist()
    final = history[packing.last_rows()] + scores.end[None, :]
    current = final.argmax(axis=1)
    best_score = final[numpy.arange(len(current)), current]
    to_from = numpy.ascontiguousarray(scores.transitions.T)  # (K_to, K_from)
    packed_tags = numpy.empty(history.shape[0], dtype=numpy.int64)
    last = len(sizes) - 1
    packed_tags[steps[last] : steps[last] + sizes[last]] = current[: sizes[last]]
    for t in range(last, 0, -1):
        n, prev = sizes[t], steps[t - 1]
        # Sequences that end at t - 1 start their backtrace from their best tag.
        current[:n] = (history[prev : prev + n] + to_from[current[:n]]).argmax(axis=1)
        packed_tags[prev : prev + sizes[t - 1]] = current[: sizes[t - 1]]
    return packed_tags, best_score
