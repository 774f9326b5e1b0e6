"""Test adapters: the lattice on padded torch batches, as pytorch-crf takes
them, so that its numbers (and autograd through brute-force enumeration)
can be compared with ours."""
import numpy
import torch
from torchcrf import CRF

from spacy_bilstm_crf.ml.crf import Lattice, forbid


def lengths_to_mask(lengths: torch.Tensor, max_len: int) -> torch.Tensor:
    """(B,) lengths -> (B, T) bool mask, True on real positions."""
    return torch.arange(max_len)[None, :] < lengths[:, None]


def flat(padded: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Padded (B, T, ...) -> concatenated (N, ...) real positions."""
    return padded[lengths_to_mask(lengths, padded.shape[1])]


def _numpy(x: torch.Tensor) -> numpy.ndarray:
    return x.detach().cpu().numpy()


def lattice(emissions: torch.Tensor, lengths: torch.Tensor, trans, start, end, allowed=None) -> Lattice:
    """The lattice of a padded (B, T, K) batch (or concatenated (N, K) rows)."""
    rows = flat(emissions, lengths) if emissions.dim() == 3 else emissions
    return Lattice(_numpy(rows), _numpy(lengths), forbid([_numpy(x) for x in (trans, start, end)], allowed))


def viterbi_decode(emissions, lengths, trans, start, end, allowed=None):
    """(B, T) best tag ids (padding repeats the last tag) and (B,) scores."""
    tags, scores = lattice(emissions, lengths, trans, start, end, allowed).viterbi()
    offsets = torch.cumsum(lengths, 0) - lengths
    positions = torch.minimum(torch.arange(emissions.shape[1])[None, :], (lengths - 1)[:, None])
    return torch.from_numpy(tags)[offsets[:, None] + positions], torch.from_numpy(scores)


def penalise(trans, start, end, allowed, penalty=-10000.0):
    """Finite stand-ins for forbidden scores (a large negative number added):
    for comparing arbitrary finite scores with enumeration, and for
    pytorch-crf, which has no notion of a forbidden transition."""
    return tuple(x + (~m).to(x.dtype) * penalty for x, m in zip((trans, start, end), allowed))


class _NLL(torch.autograd.Function):
    @staticmethod
    def forward(ctx, rows, trans, start, end, gold, lengths):  # type: ignore[override]
        out = lattice(rows, lengths, trans, start, end).nll(_numpy(gold))
        ctx.grads = [torch.from_numpy(g).to(x.dtype) for g, x in
                     zip(out[1:], (rows, trans, start, end))]
        return rows.new_tensor(out.value)

    @staticmethod
    def backward(ctx, d_loss):  # type: ignore[override]
        return tuple(g * d_loss for g in ctx.grads) + (None, None)


def crf_nll(emissions, gold, lengths, trans, start, end):
    """Summed NLL of a padded batch, gold (B, T) with -1 where missing;
    differentiable in the emissions and the three score tensors."""
    return _NLL.apply(flat(emissions, lengths), trans, start, end, flat(gold, lengths), lengths)


def reference_crf(n_tags, seed):
    """pytorch-crf with normal random weights."""
    torch.manual_seed(seed)
    crf = CRF(n_tags, batch_first=True)
    for p in crf.parameters():
        torch.nn.init.normal_(p)
    return crf


def path_score(em, path, trans, start, end):
    """The score of one path of one sequence (torch, differentiable)."""
    s = start[path[0]] + em[0, path[0]]
    for t in range(1, len(path)):
        s = s + trans[path[t - 1], path[t]] + em[t, path[t]]
    return s + end[path[-1]]
