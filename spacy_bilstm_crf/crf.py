"""Linear-chain CRF algorithms on padded torch batches.

The likelihood uses pytorch-crf's forward algorithm (`CRF._compute_normalizer`);
decoding is our own batched Viterbi whose backtrace is vectorized over the
batch, with no per-sample Python loop (pytorch-crf's `decode` backtraces each
sample in Python and returns lists). Missing gold tags are marginalised: the numerator sums over every
path that agrees with the known tags.
"""
from typing import Dict, Optional, Tuple

import torch
from torchcrf import CRF

from .packing import Packing, pack_layout

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


class _ScoringCRF(CRF):
    """pytorch-crf's CRF whose forward returns, per sequence, log Z (the
    log-sum over all paths) or, given tags, the score of that path."""

    def forward(  # type: ignore[override]
        self, emissions: torch.Tensor, mask: torch.Tensor, tags: Optional[torch.Tensor] = None
    ) -> torch.Tensor:
        # pytorch-crf's internals are time-major.
        emissions, mask = emissions.transpose(0, 1), mask.transpose(0, 1)
        if tags is None:
            return self._compute_normalizer(emissions, mask)
        return self._compute_score(emissions, tags.transpose(0, 1), mask)


_modules: Dict[int, _ScoringCRF] = {}


def _pytorch_crf(
    emissions: torch.Tensor,
    mask: torch.Tensor,
    transitions: torch.Tensor,
    start: torch.Tensor,
    end: torch.Tensor,
    tags: Optional[torch.Tensor] = None,
) -> torch.Tensor:
    """Call pytorch-crf with our (differentiable) parameters bound in place of
    the module's own."""
    n_tags = emissions.shape[-1]
    module = _modules.get(n_tags)
    if module is None:
        module = _modules[n_tags] = _ScoringCRF(n_tags, batch_first=True)
    params = {"transitions": transitions, "start_transitions": start, "end_transitions": end}
    return torch.func.functional_call(module, params, (emissions, mask, tags))


def log_partition(
    emissions: torch.Tensor,
    mask: torch.Tensor,
    transitions: torch.Tensor,
    start: torch.Tensor,
    end: torch.Tensor,
) -> torch.Tensor:
    """(B,) log Z of each sequence, by pytorch-crf's forward algorithm."""
    return _pytorch_crf(emissions, mask, transitions, start, end)


def crf_nll(
    emissions: torch.Tensor,
    gold: torch.Tensor,
    lengths: torch.Tensor,
    transitions: torch.Tensor,
    start: torch.Tensor,
    end: torch.Tensor,
) -> torch.Tensor:
    """Summed negative log-likelihood of the gold tags.

    emissions: (B, T, K); gold: (B, T) long, -1 where the tag is missing (any
    tag allowed there); lengths: (B,) with every length >= 1.
    """
    mask = lengths_to_mask(lengths, emissions.shape[1])
    log_z = log_partition(emissions, mask, transitions, start, end)
    known = gold >= 0
    if bool((known | ~mask).all()):
        # Fully labelled: the numerator is the gold path's score.
        log_gold = _pytorch_crf(emissions, mask, transitions, start, end, gold.clamp(min=0))
        return (log_z - log_gold).sum()
    gold_allowed = torch.zeros_like(emissions, dtype=torch.bool)
    gold_allowed.scatter_(2, gold.clamp(min=0).unsqueeze(2), True)
    gold_allowed |= ~known.unsqueeze(2)
    constrained = emissions + (~gold_allowed).to(emissions.dtype) * PENALTY
    log_gold = log_partition(constrained, mask, transitions, start, end)
    return (log_z - log_gold).sum()


def _flat(emissions: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Padded (B, T, K) -> concatenated (N, K) real positions."""
    return emissions[lengths_to_mask(lengths, emissions.shape[1])]


def viterbi_packed(
    flat: torch.Tensor,
    packing: Packing,
    transitions: torch.Tensor,
    start: torch.Tensor,
    end: torch.Tensor,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Best path of each sequence: (N,) tag ids in the concatenated order of
    `flat` (N, K), and (B,) path scores.

    The forward pass keeps only the max scores, laid out (from, to, batch) so
    the max runs over the outermost axis (a fast element-wise reduction; a max
    with indices over a small inner axis is ~10x slower on CPU). The backtrace
    recomputes each step's backpointer for the chosen tag only: a (K, n) argmax
    per step, no per-sample Python loop. Each step touches only the sequences
    still running (the packed layout).
    """
    steps, sizes = packing.steps, packing.batch_sizes.tolist()
    em = flat.index_select(0, packing.index).t().contiguous()  # (K, N) packed
    trans = transitions.unsqueeze(2)  # (K_from, K_to, 1)
    history = torch.empty_like(em)
    history[:, : sizes[0]] = start.unsqueeze(1) + em[:, : sizes[0]]
    # final[:, r]: the score of sorted sequence r at its last position.
    final = history[:, : sizes[0]].clone()
    for t in range(1, len(sizes)):
        n, here, prev = sizes[t], steps[t], steps[t - 1]
        # Same order of additions as pytorch-crf, so the paths agree exactly.
        best = ((history[:, prev : prev + n].unsqueeze(1) + trans) + em[:, here : here + n].unsqueeze(0)).amax(dim=0)
        history[:, here : here + n] = best
        final[:, :n] = best
    best_score, current = (final + end.unsqueeze(1)).max(dim=0)
    packed_tags = torch.empty(flat.shape[0], dtype=torch.int64, device=flat.device)
    last = len(sizes) - 1
    packed_tags[steps[last] : steps[last] + sizes[last]] = current[: sizes[last]]
    for t in range(last, 0, -1):
        n, prev = sizes[t], steps[t - 1]
        # Sequences that end at t - 1 start their backtrace from their best tag.
        current = current.clone()
        current[:n] = (history[:, prev : prev + n] + transitions.index_select(1, current[:n])).argmax(dim=0)
        packed_tags[prev : prev + sizes[t - 1]] = current[: sizes[t - 1]]
    tags = torch.empty_like(packed_tags).index_copy_(0, packing.index, packed_tags)
    scores = torch.empty_like(best_score).index_copy_(0, packing.order, best_score)
    return tags, scores


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
    offsets = torch.cumsum(lengths, 0) - lengths
    return tags[offsets[:, None] + positions], scores


def _logsumexp0(x: torch.Tensor) -> torch.Tensor:
    """logsumexp over the outermost axis (an element-wise reduction: fast on CPU)."""
    peak = x.amax(dim=0)
    return peak + (x - peak).exp().sum(dim=0).log()


def forward_backward(
    flat: torch.Tensor,
    packing: Packing,
    transitions: torch.Tensor,
    start: torch.Tensor,
    end: torch.Tensor,
) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Forward and backward log-potentials of concatenated sequences (N, K):
    alpha, beta (N, K) in the same order, and log Z (B,).

    alpha[i, k]: log-sum of the scores of all prefixes of i's sequence that
    end in tag k at i (emission at i included); beta[i, k]: log-sum of all
    suffixes after i given tag k at i (end score included). Each step touches
    only the sequences still running (the packed layout).
    """
    steps, sizes = packing.steps, packing.batch_sizes.tolist()
    n_tags = flat.shape[1]
    em = flat.index_select(0, packing.index).t().contiguous()  # (K, N) packed
    alpha = torch.empty_like(em)
    beta = torch.empty_like(em)
    trans = transitions.unsqueeze(2)  # (K_from, K_to, 1)
    trans_t = transitions.t().unsqueeze(2)  # (K_to, K_from, 1)
    alpha[:, : sizes[0]] = start.unsqueeze(1) + em[:, : sizes[0]]
    final = alpha[:, : sizes[0]].clone()
    for t in range(1, len(sizes)):
        n, here, prev = sizes[t], steps[t], steps[t - 1]
        step = _logsumexp0(alpha[:, prev : prev + n].unsqueeze(1) + trans) + em[:, here : here + n]
        alpha[:, here : here + n] = step
        final[:, :n] = step
    log_z = torch.logsumexp(final + end.unsqueeze(1), dim=0)
    last = len(sizes) - 1
    beta[:, steps[last] :] = end.unsqueeze(1)
    for t in range(last - 1, -1, -1):
        n, here, nxt = sizes[t + 1], steps[t], steps[t + 1]
        following = em[:, nxt : nxt + n] + beta[:, nxt : nxt + n]
        beta[:, here : here + n] = _logsumexp0(trans_t + following.unsqueeze(1))
        # Where t is a sequence's last position, only the end score follows.
        beta[:, here + n : here + sizes[t]] = end.unsqueeze(1)
    unpack = lambda x: torch.empty_like(x.t()).index_copy_(0, packing.index, x.t())  # noqa: E731
    log_z = torch.empty_like(log_z).index_copy_(0, packing.order, log_z)
    return unpack(alpha), unpack(beta), log_z


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
    offsets = torch.cumsum(lengths, 0) - lengths
    # Keep the sequences with spans, renumbered, and their rows.
    used, seq = torch.unique(spans[:, 0], return_inverse=True)
    sub_lengths = lengths[used]
    rows = (offsets[used][:, None] + torch.arange(int(sub_lengths.max()))[None, :])[
        lengths_to_mask(sub_lengths, int(sub_lengths.max()))
    ]
    flat, tags = flat.index_select(0, rows), tags.index_select(0, rows)
    alpha, beta, log_z = forward_backward(flat, pack_layout(sub_lengths), transitions, start, end)
    sub_offsets = torch.cumsum(sub_lengths, 0) - sub_lengths
    first = sub_offsets[seq] + spans[:, 1]
    last = sub_offsets[seq] + spans[:, 2] - 1
    # Score of the path's own steps, cumulated along the concatenation: the
    # difference between two positions of one sequence is the sum between them.
    step = transitions[tags[:-1], tags[1:]] + flat[1:].gather(1, tags[1:].unsqueeze(1)).squeeze(1)
    cum = torch.cat([step.new_zeros((1,)), step.cumsum(dim=0)])
    inner = cum[last] - cum[first]
    head = alpha[first, tags[first]]
    tail = beta[last, tags[last]]
    if continuation is not None:
        cont = continuation[tags[last]]
        has_next = (spans[:, 2] < sub_lengths[seq]) & (cont >= 0)
        if bool(has_next.any()):
            idx = has_next.nonzero().squeeze(1)
            nxt, tag = last[idx] + 1, tags[last[idx]]
            # Every next tag but the continuing one.
            scores = transitions[tag] + flat[nxt] + beta[nxt]  # (R, K)
            scores[torch.arange(idx.shape[0]), cont[idx]] = PENALTY
            tail = tail.clone()
            tail[idx] = torch.logsumexp(scores, dim=1)
    return head + inner + tail - log_z[seq]
