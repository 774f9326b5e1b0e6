"""The CRF's transition scores and the one way a tag scheme forbids some.

A forbidden transition, start or end tag scores -inf: no algorithm of the
lattice needs a finite stand-in. Viterbi and the k best never pick it,
forward-backward gives it an exact zero probability, its gradient is zero.
Emissions may hold -inf too (a tag ruled out at a token); a sequence left
with no allowed path is an error where it matters (E070, E417).
"""
from typing import NamedTuple, Optional, Sequence

import numpy


class CRFScores(NamedTuple):
    """transitions (K, K) from -> to; start (K,); end (K,)."""

    transitions: numpy.ndarray
    start: numpy.ndarray
    end: numpy.ndarray

    def astype(self, dtype) -> "CRFScores":
        return CRFScores(*(x.astype(dtype) for x in self))


# (transitions, start, end) boolean masks, True where allowed (`tags.allowed_transitions`).
Allowed = Sequence[numpy.ndarray]


def forbid(scores: Sequence[numpy.ndarray], allowed: Optional[Allowed]) -> CRFScores:
    """Copies of the (transitions, start, end) scores, numpy, with every
    entry that `allowed` rules out set to -inf (no mask: all allowed)."""
    out = [numpy.array(x, copy=True) for x in scores]
    if allowed is not None:
        for array, mask in zip(out, allowed):
            array[~numpy.asarray(mask, dtype=bool)] = -numpy.inf
    return CRFScores(*out)


def zero_scores(n_tags: int, dtype="float32") -> CRFScores:
    """No learned transitions (the softmax heads decode with these)."""
    return CRFScores(numpy.zeros((n_tags, n_tags), dtype), numpy.zeros((n_tags,), dtype), numpy.zeros((n_tags,), dtype))
