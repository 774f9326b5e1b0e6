"""Linear-chain CRF algorithms, batched on the packed layout (see `packing`).

The likelihood and its gradient come from one scaled forward-backward pass
in numpy (`lattice_packed`), and the tests hold them to pytorch-crf's numbers
and to path enumeration; it runs on the packed layout because pytorch-crf's
own autograd grows with the square of the longest sentence.
Decoding is a batched Viterbi whose backtrace is vectorized over the batch,
with no per-sample Python loop (pytorch-crf's `decode` backtraces each sample
in Python and returns lists). Missing gold tags are marginalised: the
numerator sums over every path that agrees with the known tags.
"""
from typing import NamedTuple, Optional, Tuple

import numpy
import torch

from ..errors import Errors
from .packing import Packing, pack_layout, start_offsets

# Added to the score of a forbidden transition or tag. Large enough that such
# a path never wins, small enough to stay finite in float32 sums.
PENALTY = -10000.0


def lengths_to_mask(lengths: torch.Tensor, max_len: int) -> torch.Tensor:
    """(B,) lengths -> (B, T) bool mask, True on real positions."""
    return torch.arange(max_len, device=lengths.device)[None, :] < lengths[:, None]


def apply_constraints(
    transitions: torch.Tensor,
    start: torch.Tensor,
    end: torch.Tensor,
    allowed: Optional[Tuple[torch.Tensor, torch.Tensor, torch.Tensor]],
) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Add PENALTY to forbidden transitions, start and end tags."""
    if allowed is None:
        return transitions, start, end
    a_trans, a_start, a_end = allowed
    return (
        transitions + (~a_trans).to(transitions.dtype) * PENALTY,
        start + (~a_start).to(start.dtype) * PENALTY,
        end + (~a_end).to(end.dtype) * PENALTY,
    )


class Lattice(NamedTuple):
    """What the forward-backward algorithm gives for one set of sequences:
    log_z (B,) in sorted order; node (N, K) tag marginals, packed; pair (K, K)
    the expected count of every transition, summed over all sequences."""

    log_z: numpy.ndarray
    node: numpy.ndarray
    pair: numpy.ndarray


def scaled_forward(
    em: numpy.ndarray, packing: Packing, transitions: numpy.ndarray, start: numpy.ndarray, end: numpy.ndarray
) -> Tuple[numpy.ndarray, numpy.ndarray]:
    """The forward algorithm over packed (N, K) float64 emissions, in
    probability space with every row rescaled to sum 1 (the classic scaled
    forward recursion): alpha (N, K) packed, and log Z (B,) in sorted order,
    from the logs of the scales summed per sequence once at the end. A step
    is one (n, K) x (K, K) product and 3 small array operations: numpy's
    per-call cost is a fraction of torch's, and a CoNLL batch runs as many
    steps as its longest "sentence" (150-400 in results tables). Forbidden
    transitions (PENALTY) become exact zeros; in float64 no allowed path
    underflows. A sequence with no allowed path gets a log Z of -inf or NaN."""
    steps, sizes = packing.steps, packing.batch_sizes.tolist()
    shift = em.max(axis=1)
    factor = numpy.exp(em - shift[:, None])  # emission factors in (0, 1]
    move_shift, start_shift, end_shift = transitions.max(), start.max(), end.max()
    moves = numpy.exp(transitions - move_shift)
    alpha = numpy.empty_like(em)
    totals = numpy.empty(em.shape[0])
    n = sizes[0]
    raw = numpy.exp(start - start_shift) * factor[:n]
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
        logs = numpy.log(totals) + shift + move_shift
        logs[: sizes[0]] += start_shift - move_shift
        rank = numpy.arange(em.shape[0]) - numpy.repeat(steps[:-1], sizes)  # sorted sequence of each row
        log_z = numpy.bincount(rank, weights=logs, minlength=sizes[0])
        log_z += numpy.log(alpha[_last_rows(packing).numpy()] @ numpy.exp(end - end_shift)) + end_shift
    return alpha, log_z


def lattice_packed(
    em: numpy.ndarray, packing: Packing, transitions: numpy.ndarray, start: numpy.ndarray, end: numpy.ndarray
) -> Lattice:
    """Forward-backward over packed (N, K) emissions, in float64 numpy:
    `scaled_forward`, and the backward recursion rescaled the same way. With
    both rescaled, a position's tag marginals are alpha * beta normalised, and
    a transition's, alpha moves factor beta normalised per pair of positions.
    Raises E417 where a sequence has no allowed path."""
    alpha, log_z = scaled_forward(em, packing, transitions, start, end)
    if not numpy.isfinite(log_z).all():
        raise ValueError(Errors.E417.format(n=int((~numpy.isfinite(log_z)).sum())))
    steps, sizes = packing.steps, packing.batch_sizes.tolist()
    factor = numpy.exp(em - em.max(axis=1, keepdims=True))
    moves = numpy.exp(transitions - transitions.max())
    end_factor = numpy.exp(end - end.max())
    beta = numpy.empty_like(em)
    beta[:] = end_factor / end_factor.sum()  # rows that end their sequence keep this
    moves_t = numpy.ascontiguousarray(moves.T)
    for t in range(len(sizes) - 2, -1, -1):
        n, here, nxt = sizes[t + 1], steps[t], steps[t + 1]
        raw = (factor[nxt : nxt + n] * beta[nxt : nxt + n]) @ moves_t
        numpy.divide(raw, raw.sum(axis=1, keepdims=True), out=beta[here : here + n])
    node = alpha * beta
    node /= node.sum(axis=1, keepdims=True)
    # Transition counts over every pair (row r at t - 1, row q at t) of one
    # sequence: alpha[r, a] moves[a, b] factor[q, b] beta[q, b], normalised per pair.
    if len(sizes) > 1:
        r, q = _previous_rows(packing)
        after = factor[q] * beta[q]
        before = alpha[r]
        norm = (before * (after @ moves_t)).sum(axis=1)
        pair = ((before / norm[:, None]).T @ after) * moves
    else:
        pair = numpy.zeros_like(moves)
    return Lattice(log_z, node, pair)


def _previous_rows(packing: Packing) -> Tuple[numpy.ndarray, numpy.ndarray]:
    """Every packed row q after its sequence's first, and the row r before it."""
    sizes = packing.batch_sizes.numpy()
    q = numpy.arange(int(sizes[0]), packing.steps[-1])
    return q - numpy.repeat(sizes[:-1], sizes[1:]), q


class _PackedNLL(torch.autograd.Function):
    """Summed CRF negative log-likelihood, its gradient the forward-backward
    marginals minus the gold side's (counts of the gold path, or its own
    marginals where tags are missing), all from one numpy pass: autograd
    through a per-step recursion records nodes at every step and replays them
    backwards, which cost more than the algorithm itself."""

    @staticmethod
    def forward(ctx, flat, transitions, start, end, gold, packing):  # type: ignore[override]
        def as_numpy(x: torch.Tensor) -> numpy.ndarray:
            return x.detach().cpu().numpy().astype(numpy.float64)

        trans, first_scores, end_scores = as_numpy(transitions), as_numpy(start), as_numpy(end)
        index = packing.index.cpu().numpy()
        em, tags = as_numpy(flat)[index], gold.cpu().numpy()[index]  # packed
        first = numpy.arange(packing.batch_sizes.tolist()[0])
        last = _last_rows(packing).numpy()
        free = lattice_packed(em, packing, trans, first_scores, end_scores)
        known = tags >= 0
        if known.all():
            # The gold side is one path: its score, and its counts.
            r, q = _previous_rows(packing)
            rows = numpy.arange(len(tags))
            gold_log_z = (
                em[rows, tags].sum() + trans[tags[r], tags[q]].sum()
                + first_scores[tags[first]].sum() + end_scores[tags[last]].sum()
            )
            gold_node = numpy.zeros_like(em)
            gold_node[rows, tags] = 1.0
            gold_pair = numpy.zeros_like(trans)
            numpy.add.at(gold_pair, (tags[r], tags[q]), 1.0)
        else:
            # Missing tags: every path that agrees with the known tags.
            allowed = ~known[:, None] | (numpy.arange(em.shape[1])[None, :] == tags[:, None])
            gold = lattice_packed(numpy.where(allowed, em, em + PENALTY), packing, trans, first_scores, end_scores)
            gold_log_z, gold_node, gold_pair = gold.log_z.sum(), gold.node, gold.pair
        d_em = free.node - gold_node
        grads = (
            packing.unpack(torch.from_numpy(d_em)),
            torch.from_numpy(free.pair - gold_pair),
            torch.from_numpy(d_em[first].sum(axis=0)),
            torch.from_numpy(d_em[last].sum(axis=0)),
        )
        ctx.grads = [g.to(device=x.device, dtype=x.dtype) for g, x in zip(grads, (flat, transitions, start, end))]
        return flat.new_tensor(free.log_z.sum() - gold_log_z)

    @staticmethod
    def backward(ctx, d_loss):  # type: ignore[override]
        return tuple(g * d_loss for g in ctx.grads) + (None, None)


def crf_nll_packed(
    flat: torch.Tensor,
    gold: torch.Tensor,
    lengths: torch.Tensor,
    transitions: torch.Tensor,
    start: torch.Tensor,
    end: torch.Tensor,
) -> torch.Tensor:
    """Summed negative log-likelihood of the gold tags of concatenated
    sequences: flat (N, K) emissions, gold (N,) long, -1 where the tag is
    missing (any tag allowed there); lengths (B,) with every length >= 1.
    Differentiable in the emissions and the three score tensors."""
    return _PackedNLL.apply(flat, transitions, start, end, gold, pack_layout(lengths))


def crf_nll(
    emissions: torch.Tensor,
    gold: torch.Tensor,
    lengths: torch.Tensor,
    transitions: torch.Tensor,
    start: torch.Tensor,
    end: torch.Tensor,
) -> torch.Tensor:
    """`crf_nll_packed` on a padded batch: emissions (B, T, K); gold (B, T)
    long, -1 where the tag is missing; lengths (B,) with every length >= 1."""
    return crf_nll_packed(_flat(emissions, lengths), _flat(gold, lengths), lengths, transitions, start, end)


def _flat(emissions: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Padded (B, T, K) -> concatenated (N, K) real positions."""
    return emissions[lengths_to_mask(lengths, emissions.shape[1])]


def _last_rows(packing: Packing) -> torch.Tensor:
    """(B,) packed row of each sorted sequence's last position."""
    lengths_sorted = packing.lengths[packing.order]
    first_rows = torch.tensor(packing.steps[:-1], dtype=torch.int64)
    return first_rows[lengths_sorted - 1] + torch.arange(len(lengths_sorted))


def viterbi_packed(
    flat: torch.Tensor,
    packing: Packing,
    transitions: torch.Tensor,
    start: torch.Tensor,
    end: torch.Tensor,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Best path of each sequence: (N,) tag ids in the concatenated order of
    `flat` (N, K), and (B,) path scores, on `flat`'s device.

    Runs in numpy on the CPU: each step is a few small array operations, where
    numpy's per-call cost is a fraction of torch's (a 2-3x faster decode at
    batch 128). The forward pass keeps only the max scores, laid out
    (from, to, batch) so the max runs over the outermost axis (an element-wise
    max of K slabs). The emission is added after the max: adding one number to
    every candidate is monotonic under rounding, so the max, and the path,
    equal pytorch-crf's (h + trans) + emission. The backtrace recomputes each
    step's backpointer for the chosen tag only, vectorized over the batch; each
    step touches only the sequences still running (the packed layout).
    """
    with torch.no_grad():
        em = flat.index_select(0, packing.index).t().contiguous().cpu().numpy()  # (K, N) packed
        tags, scores = _viterbi_numpy(
            em, packing, transitions.detach().cpu().numpy(), start.detach().cpu().numpy(),
            end.detach().cpu().numpy(),
        )
        tags_t = torch.from_numpy(tags).to(flat.device)
        scores_t = torch.from_numpy(scores).to(flat.device)
        return packing.unpack(tags_t), packing.unsort(scores_t)


def _viterbi_forward(
    em: numpy.ndarray, packing: Packing, transitions: numpy.ndarray, start: numpy.ndarray
) -> numpy.ndarray:
    """Packed (K, N) emissions -> packed (K, N) max prefix scores: the best
    score of a path prefix ending in each tag at each row (emission included)."""
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
    return history


def _viterbi_numpy(
    em: numpy.ndarray, packing: Packing, transitions: numpy.ndarray, start: numpy.ndarray, end: numpy.ndarray
) -> Tuple[numpy.ndarray, numpy.ndarray]:
    """Packed (K, N) emissions -> packed (N,) tags and sorted (B,) scores."""
    steps, sizes = packing.steps, packing.batch_sizes.tolist()
    n_rows = em.shape[1]
    by_row = numpy.ascontiguousarray(_viterbi_forward(em, packing, transitions, start).T)  # (N, K)
    final = by_row[_last_rows(packing).numpy()] + end[None, :]
    current = final.argmax(axis=1)
    best_score = final[numpy.arange(len(current)), current]
    to_from = numpy.ascontiguousarray(transitions.T)  # (K_to, K_from)
    packed_tags = numpy.empty(n_rows, dtype=numpy.int64)
    last = len(sizes) - 1
    packed_tags[steps[last] : steps[last] + sizes[last]] = current[: sizes[last]]
    for t in range(last, 0, -1):
        n, prev = sizes[t], steps[t - 1]
        # Sequences that end at t - 1 start their backtrace from their best tag.
        current[:n] = (by_row[prev : prev + n] + to_from[current[:n]]).argmax(axis=1)
        packed_tags[prev : prev + sizes[t - 1]] = current[: sizes[t - 1]]
    return packed_tags, best_score


def viterbi_decode(
    emissions: torch.Tensor,
    lengths: torch.Tensor,
    transitions: torch.Tensor,
    start: torch.Tensor,
    end: torch.Tensor,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """`viterbi_packed` on a padded (B, T, K) batch: (B, T) tag ids (padding
    repeats the last tag) and (B,) path scores."""
    tags, scores = viterbi_packed(_flat(emissions, lengths), pack_layout(lengths), transitions, start, end)
    positions = torch.minimum(torch.arange(emissions.shape[1])[None, :], (lengths - 1)[:, None])
    return tags[start_offsets(lengths)[:, None] + positions], scores


def forward_backward(
    flat: torch.Tensor,
    packing: Packing,
    transitions: torch.Tensor,
    start: torch.Tensor,
    end: torch.Tensor,
) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Forward and backward log-potentials of concatenated sequences (N, K):
    alpha, beta (N, K) in the same order, and log Z (B,). Use float64.

    alpha[i, k]: log-sum of the scores of all prefixes of i's sequence that
    end in tag k at i (emission at i included); beta[i, k]: log-sum of all
    suffixes after i given tag k at i (end score included).

    The recursions run in probability space, rescaled to sum 1 at every step
    with the log of the scales kept apart (the classic scaled forward-
    backward): each step is one (n, K) x (K, K) product and K exps per token,
    where the log-space version takes K * K exps per token. Forbidden
    transitions (PENALTY) become exact zeros; in float64 no allowed path
    underflows. Each step touches only the sequences still running.
    """
    steps, sizes = packing.steps, packing.batch_sizes.tolist()
    em = flat.index_select(0, packing.index)  # (N, K) packed
    shift = em.amax(dim=1)
    factor = (em - shift.unsqueeze(1)).exp()  # emission factors in (0, 1]
    moves = (transitions - transitions.max()).exp()
    move_shift = transitions.max()
    alpha = torch.empty_like(em)  # rescaled: rows sum to 1
    log_a = torch.empty_like(shift)  # log of what was divided out, cumulated
    n = sizes[0]
    raw = (start - start.max()).exp() * factor[:n]
    total = raw.sum(dim=1)
    alpha[:n] = raw / total.unsqueeze(1)
    log_a[:n] = total.log() + shift[:n] + start.max()
    for t in range(1, len(sizes)):
        n, here, prev = sizes[t], steps[t], steps[t - 1]
        raw = (alpha[prev : prev + n] @ moves) * factor[here : here + n]
        total = raw.sum(dim=1)
        alpha[here : here + n] = raw / total.unsqueeze(1)
        log_a[here : here + n] = log_a[prev : prev + n] + total.log() + shift[here : here + n] + move_shift
    # Each sorted sequence's last packed row, and log Z from it.
    last_rows = _last_rows(packing)
    end_factor = (end - end.max()).exp()
    log_z = (alpha[last_rows] @ end_factor).log() + log_a[last_rows] + end.max()

    beta = torch.empty_like(em)
    log_b = torch.empty_like(shift)
    end_total = end_factor.sum()
    last = len(sizes) - 1
    beta[steps[last] :] = end_factor / end_total
    log_b[steps[last] :] = end_total.log() + end.max()
    for t in range(last - 1, -1, -1):
        n, here, nxt = sizes[t + 1], steps[t], steps[t + 1]
        raw = (factor[nxt : nxt + n] * beta[nxt : nxt + n]) @ moves.t()
        total = raw.sum(dim=1)
        beta[here : here + n] = raw / total.unsqueeze(1)
        log_b[here : here + n] = log_b[nxt : nxt + n] + total.log() + shift[nxt : nxt + n] + move_shift
        # Where t is a sequence's last position, only the end score follows.
        beta[here + n : here + sizes[t]] = end_factor / end_total
        log_b[here + n : here + sizes[t]] = end_total.log() + end.max()
    log_alpha = alpha.log() + log_a.unsqueeze(1)
    log_beta = beta.log() + log_b.unsqueeze(1)
    return packing.unpack(log_alpha), packing.unpack(log_beta), packing.unsort(log_z)


def span_log_probs(
    flat: torch.Tensor,
    lengths: torch.Tensor,
    transitions: torch.Tensor,
    start: torch.Tensor,
    end: torch.Tensor,
    tags: torch.Tensor,
    spans: torch.Tensor,
    continuation: Optional[torch.Tensor] = None,
) -> torch.Tensor:
    """Log-probability, under the CRF, of each labelled span of a decoded path.

    flat: (N, K) emissions of the sequences concatenated, of these lengths;
    tags: (N,) their decoded tag ids; spans: (S, 3) rows (sequence, start, end)
    whose tags form one entity. The probability is the sum over every
    whole-sequence labelling that contains that entity: the tags of the span
    as decoded, and (where the scheme lets an entity continue, BIO) a next tag
    that does not continue it. continuation: (K,) the tag that would continue
    an entity ending in each tag, -1 where none can (BILUO: all -1).

    Only the sequences that hold a span run forward-backward.
    """
    if spans.shape[0] == 0:
        return flat.new_zeros((0,))
    # Keep the sequences with spans, renumbered, and their rows.
    used, seq = torch.unique(spans[:, 0], return_inverse=True)
    sub_lengths = lengths[used]
    rows = (start_offsets(lengths)[used][:, None] + torch.arange(int(sub_lengths.max()))[None, :])[
        lengths_to_mask(sub_lengths, int(sub_lengths.max()))
    ]
    # In float64: log P(span) is a small difference of sums as large as the
    # sentence is long, which float32 rounds to ~1e-4.
    dtype = flat.dtype
    flat, tags = flat.index_select(0, rows).double(), tags.index_select(0, rows)
    transitions, start, end = transitions.double(), start.double(), end.double()
    packing = pack_layout(sub_lengths)
    fb = forward_backward(flat, packing, transitions, start, end)
    renumbered = torch.stack([seq, spans[:, 1], spans[:, 2]], dim=1)
    return span_log_probs_given(flat, sub_lengths, transitions, tags, renumbered, continuation, fb).to(dtype)


def span_log_probs_given(
    flat: torch.Tensor,
    lengths: torch.Tensor,
    transitions: torch.Tensor,
    tags: torch.Tensor,
    spans: torch.Tensor,
    continuation: Optional[torch.Tensor],
    fb: Tuple[torch.Tensor, torch.Tensor, torch.Tensor],
) -> torch.Tensor:
    """`span_log_probs` from `forward_backward`'s output `fb` for these
    sequences (float64 inputs), for the entities whose tags `tags` gives."""
    alpha, beta, log_z = fb
    seq = spans[:, 0]
    offsets = start_offsets(lengths)
    first = offsets[seq] + spans[:, 1]
    last = offsets[seq] + spans[:, 2] - 1
    # Score of the path's own steps, cumulated along the concatenation: the
    # difference between two positions of one sequence is the sum between them.
    step = transitions[tags[:-1], tags[1:]] + flat[1:].gather(1, tags[1:].unsqueeze(1)).squeeze(1)
    cum = torch.cat([step.new_zeros((1,)), step.cumsum(dim=0)])
    inner = cum[last] - cum[first]
    head = alpha[first, tags[first]]
    tail = beta[last, tags[last]]
    if continuation is not None:
        cont = continuation[tags[last]]
        has_next = (spans[:, 2] < lengths[seq]) & (cont >= 0)
        if bool(has_next.any()):
            idx = has_next.nonzero().squeeze(1)
            nxt, tag = last[idx] + 1, tags[last[idx]]
            # Every next tag but the continuing one.
            scores = transitions[tag] + flat[nxt] + beta[nxt]  # (R, K)
            scores[torch.arange(idx.shape[0]), cont[idx]] = PENALTY
            tail = tail.clone()
            tail[idx] = torch.logsumexp(scores, dim=1)
    return head + inner + tail - log_z[seq]
