"""Linear-chain CRF algorithms on padded torch batches.

The likelihood uses pytorch-crf's forward algorithm (`CRF._compute_normalizer`);
decoding is our own batched Viterbi whose backtrace is a tensor `gather`, so it
has no per-sample Python loop (pytorch-crf's `decode` backtraces each sample in
Python). Missing gold tags are marginalised: the numerator sums over every
path that agrees with the known tags.
"""
from typing import Optional, Tuple

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


class _NormalizerCRF(CRF):
    """pytorch-crf's CRF whose forward returns log Z: the log-sum over all paths."""

    def forward(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        # pytorch-crf's internals are time-major.
        return self._compute_normalizer(emissions.transpose(0, 1), mask.transpose(0, 1))


_normalizers = {}


def log_partition(
    emissions: torch.Tensor,
    mask: torch.Tensor,
    transitions: torch.Tensor,
    start: torch.Tensor,
    end: torch.Tensor,
) -> torch.Tensor:
    """(B,) log Z of each sequence, by pytorch-crf's forward algorithm, with
    our (differentiable) parameters bound in place of the module's own."""
    n_tags = emissions.shape[-1]
    module = _normalizers.get(n_tags)
    if module is None:
        module = _normalizers[n_tags] = _NormalizerCRF(n_tags, batch_first=True)
    params = {"transitions": transitions, "start_transitions": start, "end_transitions": end}
    return torch.func.functional_call(module, params, (emissions, mask))


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
    and (B,) path scores. Batched over sequences; backtrace by `gather`."""
    batch, max_len, n_tags = emissions.shape
    mask = lengths_to_mask(lengths, max_len)
    score = start + emissions[:, 0]
    identity = torch.arange(n_tags, device=emissions.device).expand(batch, n_tags)
    history = []
    for t in range(1, max_len):
        # Same order of additions as pytorch-crf, so ties and rounding agree.
        next_score = score.unsqueeze(2) + transitions + emissions[:, t].unsqueeze(1)
        best, indices = next_score.max(dim=1)
        on = mask[:, t].unsqueeze(1)
        score = torch.where(on, best, score)
        # Past a sequence's end, point each tag at itself so the backtrace
        # carries the last real tag through the padding unchanged.
        history.append(torch.where(on, indices, identity))
    score = score + end
    best_score, last = score.max(dim=1)
    path = [last]
    current = last.unsqueeze(1)
    for indices in reversed(history):
        current = indices.gather(1, current)
        path.append(current.squeeze(1))
    path.reverse()
    return torch.stack(path, dim=1), best_score
