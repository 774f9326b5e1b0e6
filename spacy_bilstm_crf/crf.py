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


def viterbi_decode(
    emissions: torch.Tensor,
    lengths: torch.Tensor,
    transitions: torch.Tensor,
    start: torch.Tensor,
    end: torch.Tensor,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Best path per sequence: (B, T) tag ids (padding repeats the last tag)
    and (B,) path scores.

    Batched over sequences. The forward pass keeps only the max scores, laid
    out (from, to, batch) so the max runs over the outermost axis (a fast
    element-wise reduction; a max with indices over a small inner axis is ~10x
    slower on CPU). The backtrace recomputes each step's backpointer for the
    chosen tag only: a (K, B) argmax per step, no per-sample Python loop.
    """
    batch, max_len, n_tags = emissions.shape
    em = emissions.permute(1, 2, 0).contiguous()  # (T, K, B)
    trans = transitions.unsqueeze(2)  # (K_from, K_to, 1)
    on = torch.arange(max_len, device=lengths.device)[:, None] < lengths[None, :]  # (T, B)
    min_len = int(lengths.min())
    history = torch.empty((max_len, n_tags, batch), dtype=emissions.dtype, device=emissions.device)
    score = start.unsqueeze(1) + em[0]  # (K, B)
    history[0] = score
    for t in range(1, max_len):
        # Same order of additions as pytorch-crf, so the paths agree exactly.
        best = ((score.unsqueeze(1) + trans) + em[t].unsqueeze(0)).amax(dim=0)
        # Past a sequence's end its score stays frozen.
        score = best if t < min_len else torch.where(on[t], best, score)
        history[t] = score
    best_score, current = (score + end.unsqueeze(1)).max(dim=0)
    path = torch.empty((max_len, batch), dtype=torch.int64, device=emissions.device)
    path[max_len - 1] = current
    for t in range(max_len - 1, 0, -1):
        back = (history[t - 1] + transitions.index_select(1, current)).argmax(dim=0)
        # In the padding, carry the last real tag back unchanged.
        current = back if t < min_len else torch.where(on[t], back, current)
        path[t - 1] = current
    return path.t(), best_score


def _logsumexp0(x: torch.Tensor) -> torch.Tensor:
    """logsumexp over the outermost axis (an element-wise reduction: fast on CPU)."""
    peak = x.amax(dim=0)
    return peak + (x - peak).exp().sum(dim=0).log()


def forward_backward(
    emissions: torch.Tensor,
    lengths: torch.Tensor,
    transitions: torch.Tensor,
    start: torch.Tensor,
    end: torch.Tensor,
) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Forward and backward log-potentials, time-major: alpha, beta (T, K, B)
    and log Z (B,).

    alpha[t, k, b]: log-sum of the scores of all prefixes of sequence b that
    end in tag k at t (emission at t included); beta[t, k, b]: log-sum of all
    suffixes after t given tag k at t (end score included). Positions past a
    sequence's end hold values that are never read.
    """
    batch, max_len, n_tags = emissions.shape
    em = emissions.permute(1, 2, 0).contiguous()  # (T, K, B)
    on = torch.arange(max_len, device=lengths.device)[:, None] < lengths[None, :]
    alpha = torch.empty_like(em)
    beta = torch.empty_like(em)
    trans = transitions.unsqueeze(2)  # (K_from, K_to, 1)
    trans_t = transitions.t().unsqueeze(2)  # (K_to, K_from, 1)
    alpha[0] = start.unsqueeze(1) + em[0]
    for t in range(1, max_len):
        step = _logsumexp0(alpha[t - 1].unsqueeze(1) + trans) + em[t]
        alpha[t] = torch.where(on[t], step, alpha[t - 1])
    log_z = torch.logsumexp(alpha[max_len - 1] + end.unsqueeze(1), dim=0)
    end_col = end.unsqueeze(1).expand(n_tags, batch)
    beta[max_len - 1] = end_col
    for t in range(max_len - 2, -1, -1):
        step = _logsumexp0(trans_t + (em[t + 1] + beta[t + 1]).unsqueeze(1))
        # Where t is a sequence's last position, only the end score follows.
        beta[t] = torch.where(on[t + 1], step, end_col)
    return alpha, beta, log_z


def span_log_probs(
    emissions: torch.Tensor,
    lengths: torch.Tensor,
    transitions: torch.Tensor,
    start: torch.Tensor,
    end: torch.Tensor,
    paths: torch.Tensor,
    spans: torch.Tensor,
    continuation: Optional[torch.Tensor] = None,
) -> torch.Tensor:
    """Log-probability, under the CRF, of each labelled span of a decoded path.

    paths: (B, T) decoded tag ids; spans: (N, 3) rows (sequence, start, end)
    whose tags on `paths` form one entity. The probability is the sum over
    every whole-sequence labelling that contains that entity: the tags of the
    span as decoded, and (where the scheme lets an entity continue, BIO) a next
    tag that does not continue it. continuation: (K,) the tag that would
    continue an entity ending in each tag, -1 where none can (BILUO: all -1).
    """
    if spans.shape[0] == 0:
        return emissions.new_zeros((0,))
    alpha, beta, log_z = forward_backward(emissions, lengths, transitions, start, end)
    em = emissions.permute(1, 0, 2)  # (T, B, K)
    path_t = paths.t()  # (T, B)
    seq, first, stop = spans[:, 0], spans[:, 1], spans[:, 2]
    last = stop - 1
    # Score of the path's own steps, cumulated: cum[t] = sum_{u<=t} trans + em at u>=1.
    step = transitions[path_t[:-1], path_t[1:]] + em[1:].gather(2, path_t[1:].unsqueeze(2)).squeeze(2)
    cum = torch.cat([step.new_zeros((1, step.shape[1])), step.cumsum(dim=0)], dim=0)  # (T, B)
    inner = cum[last, seq] - cum[first, seq]
    head = alpha[first, paths[seq, first], seq]
    tail = beta[last, paths[seq, last], seq]
    if continuation is not None:
        cont = continuation[paths[seq, last]]
        has_next = (stop < lengths[seq]) & (cont >= 0)
        if bool(has_next.any()):
            rows = has_next.nonzero().squeeze(1)
            s, nxt, tag = seq[rows], stop[rows], paths[seq[rows], last[rows]]
            # Every next tag but the continuing one.
            scores = transitions[tag] + em[nxt, s] + beta[nxt, :, s]  # (R, K)
            scores[torch.arange(rows.shape[0]), cont[rows]] = PENALTY
            tail = tail.clone()
            tail[rows] = torch.logsumexp(scores, dim=1)
    return head + inner + tail - log_z[seq]
