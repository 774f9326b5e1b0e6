"""The one forward-backward pass of the CRF: packed, float64 numpy, scaled.

The recursions run in probability space with every row rescaled to sum 1
(the classic scaled forward-backward), the log of each scale kept per row:
a step is one (n, K) x (K, K) product and a few small array operations,
where the log-space version takes K * K exps per token, and numpy's per-call
cost is a fraction of torch's (a CoNLL batch runs as many steps as its
longest "sentence": 150-400). Forbidden scores (-inf) become exact zeros;
in float64 no allowed path underflows. Each step touches only the sequences
still running (the packed layout).

Everything the lattice answers with probabilities comes from `Sums`: log Z
(the likelihood), the tag and transition marginals (its gradient), log
alpha and log beta at given rows (span probabilities), the expected score
(entropy).
"""
from typing import NamedTuple

import numpy

from ..packing import Packing
from .scores import CRFScores


class Potentials(NamedTuple):
    """exp of the scores, each shifted by its max (kept) so that it is <= 1."""

    factor: numpy.ndarray  # (N, K) packed emissions
    shift: numpy.ndarray  # (N,)
    moves: numpy.ndarray  # (K, K)
    move_shift: float
    start: numpy.ndarray
    start_shift: float
    end: numpy.ndarray
    end_shift: float

    @classmethod
    def of(cls, em: numpy.ndarray, scores: CRFScores) -> "Potentials":
        shift = em.max(axis=1)
        # A row with every tag at -inf has no path: keep it from turning into NaN here.
        shift[~numpy.isfinite(shift)] = 0.0
        transitions, start, end = scores
        move_shift, start_shift, end_shift = transitions.max(), start.max(), end.max()
        return cls(
            numpy.exp(em - shift[:, None]), shift, numpy.exp(transitions - move_shift), move_shift,
            numpy.exp(start - start_shift), start_shift, numpy.exp(end - end_shift), end_shift,
        )


class Sums(NamedTuple):
    """Scaled forward and backward variables, packed: alpha, beta (N, K),
    each row summing to 1; alpha_logs, beta_logs (N,) the log of what each
    row's scaling divided out (so log alpha of a row is log(alpha) plus the
    alpha_logs of its sequence's rows up to it); log_z (B,), sorted order."""

    alpha: numpy.ndarray
    alpha_logs: numpy.ndarray
    beta: numpy.ndarray
    beta_logs: numpy.ndarray
    log_z: numpy.ndarray


def forward(pot: Potentials, packing: Packing):
    """alpha (N, K) rescaled, its per-row logs (N,), log Z (B,) sorted (-inf
    or NaN where a sequence has no allowed path)."""
    steps, sizes = packing.steps, packing.batch_sizes.tolist()
    factor, moves = pot.factor, pot.moves
    alpha = numpy.empty_like(factor)
    totals = numpy.empty(factor.shape[0])
    n = sizes[0]
    raw = pot.start * factor[:n]
    totals[:n] = raw.sum(axis=1)
    with numpy.errstate(invalid="ignore", divide="ignore"):  # a row without an allowed path
        alpha[:n] = raw / totals[:n, None]
        for t in range(1, len(sizes)):
            n, here, prev = sizes[t], steps[t], steps[t - 1]
            raw = alpha[prev : prev + n] @ moves
            raw *= factor[here : here + n]
            total = totals[here : here + n]
            raw.sum(axis=1, out=total)
            numpy.divide(raw, total[:, None], out=alpha[here : here + n])
        # Per packed row: the log of its scale, its emission shift and, past
        # the first step, the moves' shift; summed over each sequence's rows.
        logs = numpy.log(totals) + pot.shift + pot.move_shift
        logs[: sizes[0]] += pot.start_shift - pot.move_shift
        rank = numpy.arange(factor.shape[0]) - numpy.repeat(steps[:-1], sizes)  # sorted sequence of each row
        log_z = numpy.bincount(rank, weights=logs, minlength=sizes[0])
        log_z += numpy.log(alpha[packing.last_rows()] @ pot.end) + pot.end_shift
    return alpha, logs, log_z


def backward(pot: Potentials, packing: Packing):
    """beta (N, K) rescaled the same way, and its per-row logs (N,)."""
    steps, sizes = packing.steps, packing.batch_sizes.tolist()
    factor = pot.factor
    beta = numpy.empty_like(factor)
    end_total = pot.end.sum()
    beta[:] = pot.end / end_total  # rows that end their sequence keep this
    logs = numpy.full(factor.shape[0], numpy.log(end_total) + pot.end_shift)
    moves_t = numpy.ascontiguousarray(pot.moves.T)
    with numpy.errstate(invalid="ignore", divide="ignore"):
        for t in range(len(sizes) - 2, -1, -1):
            n, here, nxt = sizes[t + 1], steps[t], steps[t + 1]
            raw = (factor[nxt : nxt + n] * beta[nxt : nxt + n]) @ moves_t
            total = raw.sum(axis=1, keepdims=True)
            numpy.divide(raw, total, out=beta[here : here + n])
            logs[here : here + n] = numpy.log(total[:, 0]) + pot.shift[nxt : nxt + n] + pot.move_shift
    return beta, logs


def forward_backward(pot: Potentials, packing: Packing) -> Sums:
    alpha, alpha_logs, log_z = forward(pot, packing)
    beta, beta_logs = backward(pot, packing)
    return Sums(alpha, alpha_logs, beta, beta_logs, log_z)


def node_marginals(sums: Sums) -> numpy.ndarray:
    """(N, K) packed: P(tag k at row i). With both variables rescaled, a
    row's marginals are alpha * beta normalised."""
    node = sums.alpha * sums.beta
    node /= node.sum(axis=1, keepdims=True)
    return node


def pair_marginals(sums: Sums, pot: Potentials, packing: Packing) -> numpy.ndarray:
    """(K, K) the expected count of every transition, summed over all
    sequences: over every pair (row r at t - 1, row q at t) of one sequence,
    alpha[r, a] moves[a, b] factor[q, b] beta[q, b], normalised per pair."""
    if len(packing.steps) <= 2:
        return numpy.zeros_like(pot.moves)
    r, q = packing.previous_rows()
    after = pot.factor[q] * sums.beta[q]
    before = sums.alpha[r]
    norm = (before * (after @ numpy.ascontiguousarray(pot.moves.T))).sum(axis=1)
    return ((before / norm[:, None]).T @ after) * pot.moves


def cumulative(logs: numpy.ndarray, packing: Packing, *, reverse: bool = False) -> numpy.ndarray:
    """Per-row logs summed along each sequence, from its start (alpha) or
    from its end (`reverse`, beta): the log of every scale divided out
    before (or after) a row, that row's included."""
    steps, sizes = packing.steps, packing.batch_sizes.tolist()
    out = logs.copy()
    if not reverse:
        for t in range(1, len(sizes)):
            n, here, prev = sizes[t], steps[t], steps[t - 1]
            out[here : here + n] += out[prev : prev + n]
    else:
        for t in range(len(sizes) - 2, -1, -1):
            n, here, nxt = sizes[t + 1], steps[t], steps[t + 1]
            out[here : here + n] += out[nxt : nxt + n]
    return out
