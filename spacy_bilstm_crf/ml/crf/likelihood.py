"""The CRF's negative log-likelihood and its gradient, from forward-backward.

The gradient is the marginals minus the gold side's: the counts of the gold
path, or, where gold tags are missing, the marginals of the lattice whose
other tags are forbidden there (the numerator sums every path that agrees
with the known tags). Written by hand: autograd through a per-step
recursion records nodes at every step and replays them backwards, which
cost more than the algorithm itself (and pytorch-crf's autograd grows with
the square of the longest sentence).
"""
from typing import NamedTuple

import numpy

from ...errors import Errors
from ..packing import Packing
from .forward_backward import Potentials, Sums, forward_backward, node_marginals, pair_marginals
from .scores import CRFScores


class NLL(NamedTuple):
    """Summed negative log-likelihood (float64) and its gradient: d_em (N, K)
    packed, d_transitions (K, K), d_start (K,), d_end (K,)."""

    value: float
    d_em: numpy.ndarray
    d_transitions: numpy.ndarray
    d_start: numpy.ndarray
    d_end: numpy.ndarray


def check_paths(log_z: numpy.ndarray) -> None:
    """E417 where a sequence has no allowed path (log Z -inf or NaN)."""
    if not numpy.isfinite(log_z).all():
        raise ValueError(Errors.E417.format(n=int((~numpy.isfinite(log_z)).sum())))


def nll(em: numpy.ndarray, packing: Packing, scores: CRFScores, tags: numpy.ndarray, free: Sums,
        pot: Potentials) -> NLL:
    """em (N, K) packed float64 emissions, tags (N,) packed gold ids (-1:
    missing), `free` and `pot` the lattice's forward-backward over em."""
    check_paths(free.log_z)
    trans, first_scores, end_scores = scores
    first = numpy.arange(packing.batch_sizes.tolist()[0])
    last = packing.last_rows()
    known = tags >= 0
    if known.all():
        # The gold side is one path: its score, and its counts.
        r, q = packing.previous_rows()
        rows = numpy.arange(len(tags))
        gold_log_z = (
            em[rows, tags].sum() + trans[tags[r], tags[q]].sum()
            + first_scores[tags[first]].sum() + end_scores[tags[last]].sum()
        )
        if not numpy.isfinite(gold_log_z):  # a gold tag or move that is forbidden
            raise ValueError(Errors.E417.format(n=_forbidden_gold(em, packing, scores, tags)))
        gold_node = numpy.zeros_like(em)
        gold_node[rows, tags] = 1.0
        gold_pair = numpy.zeros_like(trans)
        numpy.add.at(gold_pair, (tags[r], tags[q]), 1.0)
    else:
        # Missing tags: every path that agrees with the known tags.
        allowed = ~known[:, None] | (numpy.arange(em.shape[1])[None, :] == tags[:, None])
        gold_pot = Potentials.of(numpy.where(allowed, em, -numpy.inf), scores)
        gold = forward_backward(gold_pot, packing)
        check_paths(gold.log_z)
        gold_log_z, gold_node, gold_pair = gold.log_z.sum(), node_marginals(gold), pair_marginals(gold, gold_pot, packing)
    d_em = node_marginals(free) - gold_node
    d_trans = pair_marginals(free, pot, packing) - gold_pair
    return NLL(free.log_z.sum() - gold_log_z, d_em, d_trans, d_em[first].sum(axis=0), d_em[last].sum(axis=0))


def _forbidden_gold(em: numpy.ndarray, packing: Packing, scores: CRFScores, tags: numpy.ndarray) -> int:
    """How many sequences' gold paths take a forbidden tag or transition."""
    r, q = packing.previous_rows()
    bad = ~numpy.isfinite(em[numpy.arange(len(tags)), tags])
    bad[q] |= ~numpy.isfinite(scores.transitions[tags[r], tags[q]])
    first = numpy.arange(packing.batch_sizes.tolist()[0])
    bad[first] |= ~numpy.isfinite(scores.start[tags[first]])
    bad[packing.last_rows()] |= ~numpy.isfinite(scores.end[tags[packing.last_rows()]])
    rank = numpy.arange(len(tags)) - numpy.repeat(packing.steps[:-1], packing.batch_sizes)
    return int((numpy.bincount(rank, weights=bad) > 0).sum())
