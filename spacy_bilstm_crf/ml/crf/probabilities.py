"""Probabilities under the CRF, from the lattice's forward-backward: of
whole paths, of labelled spans, and the entropy of the distribution.

All in float64: log P(span) is a small difference of sums as large as the
sentence is long, which float32 rounds to ~1e-4.
"""
from typing import Callable, Optional

import numpy

from ..packing import Packing
from .forward_backward import Potentials, Sums
from .scores import CRFScores

# (rows, tags) -> log alpha (or log beta) of those tags at those concatenated rows.
LogAt = Callable[[numpy.ndarray, numpy.ndarray], numpy.ndarray]


def path_scores(em: numpy.ndarray, packing: Packing, scores: CRFScores, paths: numpy.ndarray) -> numpy.ndarray:
    """(B, k) scores of (k, N) paths of the concatenated sequences of em (N, K)."""
    lengths, offsets = packing.lengths, packing.offsets
    tr, st, en = scores
    firsts, lasts = offsets, offsets + lengths - 1
    rows = numpy.arange(em.shape[0])
    # One step per row: its emission, plus the move from the previous row
    # unless it is a sequence's first row.
    moves = numpy.zeros(paths.shape, dtype=numpy.float64)
    moves[:, 1:] = tr[paths[:, :-1], paths[:, 1:]]
    moves[:, firsts] = 0.0
    per_row = em[rows[None, :], paths] + moves
    total = numpy.add.reduceat(per_row, firsts, axis=1)  # (k, B)
    total += st[paths[:, firsts]] + en[paths[:, lasts]]
    return total.T


def entropy(em: numpy.ndarray, scores: CRFScores, sums: Sums, node: numpy.ndarray, pot: Potentials,
            packing: Packing, log_z: numpy.ndarray) -> numpy.ndarray:
    """(B,) H = log Z - E[score] (nats), E taken with the marginals; em,
    node (N, K) packed, log_z (B,) in the given order. A forbidden score
    (-inf) has probability 0 and adds nothing."""
    tr, st, en = scores

    def expected(p: numpy.ndarray, s: numpy.ndarray) -> numpy.ndarray:
        with numpy.errstate(invalid="ignore"):  # 0 * -inf: left out
            return numpy.where(p > 0, p * s, 0.0).sum(axis=-1)

    per_row = expected(node, em)
    first = numpy.arange(int(packing.batch_sizes[0]))
    last = packing.last_rows()
    per_row[first] += expected(node[first], st[None, :])
    per_row[last] += expected(node[last], en[None, :])
    if len(packing.steps) > 2:
        # Per pair (r, q): sum over a, b of alpha[r, a] moves[a, b] tr[a, b] after[q, b], normalised.
        r, q = packing.previous_rows()
        after = pot.factor[q] * sums.beta[q]
        with numpy.errstate(invalid="ignore"):
            weighted = numpy.where(pot.moves > 0, pot.moves * tr, 0.0)
        norm = (sums.alpha[r] * (after @ numpy.ascontiguousarray(pot.moves.T))).sum(axis=1)
        per_row[q] += ((sums.alpha[r] @ weighted) * after).sum(axis=1) / norm
    rank = numpy.arange(em.shape[0]) - numpy.repeat(packing.steps[:-1], packing.batch_sizes)
    by_seq = packing.unsort(numpy.bincount(rank, weights=per_row, minlength=len(first)))
    return numpy.maximum(log_z - by_seq, 0.0)


def span_log_probs(
    em: numpy.ndarray,
    lengths: numpy.ndarray,
    transitions: numpy.ndarray,
    tags: numpy.ndarray,
    spans: numpy.ndarray,
    continuation: Optional[numpy.ndarray],
    log_alpha: LogAt,
    log_beta: LogAt,
    log_z: numpy.ndarray,
) -> numpy.ndarray:
    """Log-probability of each labelled span of a path: the sum over every
    whole-sequence labelling that contains that entity, i.e. the tags of the
    span as given and (where the scheme lets an entity continue, BIO) a next
    tag that does not continue it.

    em (N, K) concatenated; tags (N,) the path's tag ids; spans (S, 3) rows
    (sequence, start, end) whose tags form one entity; continuation (K,) the
    tag that would continue an entity ending in each tag, -1 where none can
    (BILUO: all -1)."""
    seq = spans[:, 0]
    offsets = numpy.cumsum(lengths) - lengths
    first = offsets[seq] + spans[:, 1]
    last = offsets[seq] + spans[:, 2] - 1
    # Score of the path's own steps, cumulated along the concatenation: the
    # difference between two positions of one sequence is the sum between
    # them. A forbidden (-inf) step is counted apart, so that it makes only
    # the spans over it impossible.
    step = transitions[tags[:-1], tags[1:]] + em[1:][numpy.arange(len(tags) - 1), tags[1:]]
    step[offsets[1:] - 1] = 0.0  # the move between two sequences is no step
    impossible = ~numpy.isfinite(step)
    cum = numpy.concatenate([[0.0], numpy.where(impossible, 0.0, step).cumsum()])
    cum_impossible = numpy.concatenate([[0], impossible.cumsum()])
    inner = numpy.where(cum_impossible[last] > cum_impossible[first], -numpy.inf, cum[last] - cum[first])
    head = log_alpha(first, tags[first])
    tail = log_beta(last, tags[last])
    if continuation is not None:
        cont = continuation[tags[last]]
        has_next = (spans[:, 2] < lengths[seq]) & (cont >= 0)
        idx = numpy.flatnonzero(has_next)
        if len(idx):
            nxt, tag = last[idx] + 1, tags[last[idx]]
            n_tags = em.shape[1]
            beta_next = log_beta(numpy.repeat(nxt, n_tags), numpy.tile(numpy.arange(n_tags), len(nxt)))
            # Every next tag but the continuing one.
            options = transitions[tag] + em[nxt] + beta_next.reshape(len(nxt), n_tags)  # (R, K)
            options[numpy.arange(len(idx)), cont[idx]] = -numpy.inf
            top = options.max(axis=1)
            safe = numpy.where(numpy.isfinite(top), top, 0.0)
            tail = tail.copy()
            tail[idx] = numpy.log(numpy.exp(options - safe[:, None]).sum(axis=1)) + safe
    return head + inner + tail - log_z[seq]
