"""The k best paths of a linear-chain CRF, batched on the packed layout (see
`packing`); their probabilities come from the lattice (`probabilities`).

k-best Viterbi is Lawler's partition scheme on the Viterbi trellis (as in
Nilsson & Goldberger's "sequentially finding the N-best list" for HMMs),
mirrored so that it reuses the 1-best decoder's forward pass: every further
path is the best of a subset "same tags as an earlier path after position u,
another tag at u, the best prefix before u". The best prefix ending in a tag
is the forward pass's backpointer chain, so the best of each subset is the
earlier path's score minus one gap (best minus second-best predecessor), and
popping a subset only walks back until the new prefix meets its parent's.
Cost: the lattice's Viterbi forward pass (shared with `viterbi`), one (rows, K, K) table of backpointers and gaps, and
at most k - 1 rounds of small array operations over the batch, however many
sequences it holds (it stops when every sequence has run out of valid
paths); no per-sequence Python loop.

Forbidden transitions are -inf (`scores.forbid`), so every path returned is
valid, and a sequence with fewer than k valid paths gets -inf scores for
the missing ones.
"""
from typing import Tuple

import numpy

from ..packing import Packing
from .scores import CRFScores


def kbest_paths(
    history: numpy.ndarray, packing: Packing, scores: CRFScores, k: int
) -> Tuple[numpy.ndarray, numpy.ndarray]:
    """The k best valid paths of each sequence, from the Viterbi forward
    pass `history` (N, K) (`viterbi.max_prefix_scores`): (k, N) tag ids in
    the concatenated order (rows of a missing path repeat path 0) and (B, k)
    path scores, best first, -inf where a sequence has fewer than k valid
    paths."""
    # -inf - -inf (no second-best tag) is nan: handled where it arises;
    # unset entries of the work arrays are computed on, then masked.
    with numpy.errstate(invalid="ignore", over="ignore"):
        tags, path_scores = _kbest_numpy(history, packing, *scores, k)
    # packed (time, rank) -> concatenated rows; sorted ranks -> input order.
    batch = tags.shape[1]
    on = numpy.arange(batch)[None, :] < packing.batch_sizes[:, None]  # (T, B)
    out = numpy.empty((k, history.shape[0]), dtype=numpy.int64)
    out[:, packing.index] = tags.transpose(0, 2, 1)[:, on]
    return out, packing.unsort(path_scores)


def _kbest_numpy(
    history: numpy.ndarray, packing: Packing, trans: numpy.ndarray, start: numpy.ndarray, end: numpy.ndarray, k: int
) -> Tuple[numpy.ndarray, numpy.ndarray]:
    """Packed (N, K) best prefix scores -> (k, B, T) tags of the sorted
    sequences, padded, and (B, k) their scores."""
    steps, sizes = packing.steps, packing.batch_sizes
    n_tags = history.shape[1]
    n_steps, batch = len(sizes), int(sizes[0])
    ranks = numpy.arange(batch)
    on = ranks[:, None] < sizes[None, :]  # (B, T)
    # Packed row of (r, t); rows of finished sequences point at a real row
    # (their values are never used).
    row_of = numpy.where(on, numpy.asarray(steps[:-1])[None, :] + ranks[:, None], 0)
    last_t = on.sum(axis=1) - 1  # (B,)
    to_from = numpy.ascontiguousarray(trans.T)
    final = history[packing.last_rows()] + end[None, :]  # (B, K)

    paths = numpy.zeros((k, batch, n_steps), dtype=numpy.int64)
    # gap[i, r, t]: what path i loses by taking the second-best tag at t - 1
    # before its own tag at t (t <= dev_at: where path i is a backtrace).
    gaps = numpy.empty((k, batch, n_steps), dtype=history.dtype)
    scores = numpy.full((batch, k), -numpy.inf)
    dev_at = numpy.zeros((k, batch), dtype=numpy.int64)
    rank_at = numpy.zeros((k, batch), dtype=numpy.int64)
    # The best subset of each path, as (value, where): another tag at t - 1
    # for some t (chain), or the next-ranked tag at dev_at (rank).
    cand_chain = numpy.empty((k, batch, n_steps))
    chain_best = numpy.full((k, batch), -numpy.inf)
    chain_at = numpy.zeros((k, batch), dtype=numpy.int64)
    cand_rank = numpy.full((k, batch), -numpy.inf)
    pool = (cand_chain, chain_best, chain_at, cand_rank)

    # Path 0: the Viterbi path, with the backtrace of `viterbi.best_paths`.
    best = final.argmax(axis=1)
    scores[:, 0] = final[ranks, best]
    path = paths[0]
    current = best.copy()
    for t in range(n_steps - 1, -1, -1):
        n = int(sizes[t])
        ending = slice(int(sizes[t + 1]) if t + 1 < n_steps else 0, n)
        current[ending] = best[ending]
        path[:n, t] = current[:n]
        if t:
            prev = steps[t - 1]
            current[:n] = (history[prev : prev + n] + to_from[current[:n]]).argmax(axis=1)
    rows, times = numpy.nonzero(on[:, 1:])
    times += 1
    gaps[0, rows, times] = _gaps(history[row_of[rows, times - 1]] + to_from[path[rows, times]], path[rows, times - 1])
    dev_at[0] = last_t
    rank_at[0] = 1
    values, order = _ranked_context(history, row_of, paths[0], last_t, last_t, trans, end)
    _add_candidates(0, paths, gaps, scores, dev_at, rank_at, pool, values, order)

    for i in range(1, k):
        at_chain = chain_best[:i].argmax(axis=0)
        best_chain = chain_best[at_chain, ranks]
        at_rank = cand_rank[:i].argmax(axis=0)
        best_rank = cand_rank[at_rank, ranks]
        use_rank = best_rank >= best_chain
        parent = numpy.where(use_rank, at_rank, at_chain)
        u = numpy.where(use_rank, dev_at[at_rank, ranks], chain_at[at_chain, ranks] - 1)
        m = numpy.where(use_rank, rank_at[at_rank, ranks] + 1, 2)
        score = numpy.maximum(best_rank, best_chain)
        alive = score > -numpy.inf
        if not alive.any():
            break  # every sequence has run out of valid paths: the rest stay missing
        # The popped subsets are used up: their next best is the new path's.
        popped = use_rank & alive
        cand_rank[at_rank[popped], ranks[popped]] = -numpy.inf
        popped = numpy.flatnonzero(~use_rank & alive)
        if len(popped):
            owner = at_chain[popped]
            cand_chain[owner, popped, u[popped] + 1] = -numpy.inf
            rest = cand_chain[owner, popped]  # (R, T)
            chain_at[owner, popped] = where = rest.argmax(axis=1)
            chain_best[owner, popped] = rest[numpy.arange(len(popped)), where]
        u = numpy.where(alive, u, 0)
        parent_path = paths[parent, ranks]  # (B, T)
        values, order = _ranked_context(history, row_of, parent_path, u, last_t, trans, end)
        tag = order[ranks, numpy.minimum(m, n_tags) - 1]
        paths[i] = parent_path
        paths[i, ranks, u] = tag
        gaps[i] = gaps[parent, ranks]
        _walk_back(paths[i], gaps[i], parent_path, u, tag, alive, history, to_from, row_of)
        scores[:, i] = numpy.where(alive, score, -numpy.inf)
        dev_at[i] = u
        rank_at[i] = numpy.where(alive, m, n_tags)
        _add_candidates(i, paths, gaps, scores, dev_at, rank_at, pool, values, order)
    # A missing path repeats path 0 (its score says it is missing).
    missing = ~(scores > -numpy.inf).T  # (k, B)
    if missing.any():
        paths = numpy.where(missing[:, :, None], paths[0][None], paths)
    return paths, scores


def _gaps(values: numpy.ndarray, best: numpy.ndarray) -> numpy.ndarray:
    """(R, K) scores of each previous tag and (R,) the best one's index ->
    best minus second best (inf where there is no second)."""
    at = numpy.arange(len(best))
    top = values[at, best]
    values[at, best] = -numpy.inf
    diff = top - values.max(axis=1)
    diff[numpy.isnan(diff)] = numpy.inf
    return diff


def _ranked_context(
    history: numpy.ndarray,
    row_of: numpy.ndarray,
    path: numpy.ndarray,
    u: numpy.ndarray,
    last_t: numpy.ndarray,
    trans: numpy.ndarray,
    end: numpy.ndarray,
) -> Tuple[numpy.ndarray, numpy.ndarray]:
    """For each sequence, the scores of every tag at position u followed by
    the path's own next tag (or the end): (B, K) values and their order,
    best first."""
    ranks = numpy.arange(path.shape[0])
    at_end = u >= last_t
    nxt = path[ranks, numpy.minimum(u + 1, path.shape[1] - 1)]
    follow = numpy.where(at_end[:, None], end[None, :], trans[:, nxt].T)
    values = history[row_of[ranks, u]] + follow
    return values, numpy.argsort(-values, axis=1, kind="stable")


def _walk_back(
    new: numpy.ndarray,
    gaps: numpy.ndarray,
    parent: numpy.ndarray,
    u: numpy.ndarray,
    tag: numpy.ndarray,
    alive: numpy.ndarray,
    history: numpy.ndarray,
    to_from: numpy.ndarray,
    row_of: numpy.ndarray,
) -> None:
    """Fill `new` (B, T) before u with the backtrace from (u, tag), and its
    gaps, in place. Before u the parent is itself a backtrace, so once the
    new prefix meets it the rest (tags and gaps, copied already) is the
    parent's: the walk stops there."""
    idx = numpy.flatnonzero(alive & (u > 0))
    t, current = u[idx], tag[idx]
    seen_t, seen_idx, seen_values, seen_best = [], [], [], []
    while len(idx):
        values = history[row_of[idx, t - 1]] + to_from[current]
        previous = values.argmax(axis=1)
        seen_t.append(t)
        seen_idx.append(idx)
        seen_values.append(values)
        seen_best.append(previous)
        t = t - 1
        new[idx, t] = previous
        keep = (previous != parent[idx, t]) & (t > 0)
        idx, t, current = idx[keep], t[keep], previous[keep]
    if seen_t:
        gaps[numpy.concatenate(seen_idx), numpy.concatenate(seen_t)] = _gaps(
            numpy.concatenate(seen_values), numpy.concatenate(seen_best)
        )


def _add_candidates(
    i: int,
    paths: numpy.ndarray,
    gaps: numpy.ndarray,
    scores: numpy.ndarray,
    dev_at: numpy.ndarray,
    rank_at: numpy.ndarray,
    pool: Tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray, numpy.ndarray],
    values: numpy.ndarray,
    order: numpy.ndarray,
) -> None:
    """Path i's subsets: another tag at any position before u (its prefix is
    a backtrace: the best alternative costs one gap), and the next-ranked
    tag at u."""
    cand_chain, chain_best, chain_at, cand_rank = pool
    batch, n_steps = paths.shape[1], paths.shape[2]
    ranks = numpy.arange(batch)
    score = scores[:, i]
    times = numpy.arange(n_steps)[None, :]
    outside = (times < 1) | (times > dev_at[i][:, None])  # (B, T)
    chain = cand_chain[i]
    numpy.subtract(score[:, None], gaps[i], out=chain)
    numpy.copyto(chain, -numpy.inf, where=outside)
    chain_at[i] = where = chain.argmax(axis=1)
    chain_best[i] = chain[ranks, where]
    m = rank_at[i]
    n_tags = values.shape[1]
    here = values[ranks, order[ranks, numpy.minimum(m, n_tags) - 1]]
    nxt = values[ranks, order[ranks, numpy.minimum(m, n_tags - 1)]]
    cand = score - here + nxt
    cand_rank[i] = numpy.where((m < n_tags) & (score > -numpy.inf) & ~numpy.isnan(cand), cand, -numpy.inf)
