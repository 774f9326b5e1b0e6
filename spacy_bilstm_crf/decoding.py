"""Turn per-token scores into valid tag sequences, batched.

Both heads decode with the same constrained Viterbi: the CRF with its learned
transitions, the softmax heads with log-probabilities and zero transitions, so
their output is the most probable *valid* sequence (argmax repaired by the
scheme's constraints) rather than a per-token argmax that may be invalid.
"""
from typing import List, Optional, Sequence, Tuple

import numpy
import torch
from thinc.api import Model, xp2torch
from thinc.types import Floats2d, Ints1d

from .crf import apply_constraints, lengths_to_mask, viterbi_decode
from .layers.crf import get_crf_params

Constraints = Tuple[torch.Tensor, torch.Tensor, torch.Tensor]


def pad_scores(
    ops, scores: Sequence[Floats2d], *, requires_grad: bool = False
) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Non-empty score arrays -> (flat (N, K) tensor, padded (B, T, K), lengths, mask).

    `flat` is the leaf to read gradients from; `padded` is built from it.
    """
    lengths = torch.tensor([len(s) for s in scores], dtype=torch.int64)
    flat = xp2torch(ops.asarray2f(ops.flatten(list(scores), pad=0)), requires_grad=requires_grad)
    mask = lengths_to_mask(lengths, int(lengths.max()))
    padded = flat.new_zeros((len(scores), mask.shape[1], flat.shape[1]))
    padded[mask] = flat
    return flat, padded, lengths, mask


def transition_scores(
    model: Model, n_tags: int, constraints: Optional[Constraints], *, requires_grad: bool = False
) -> Tuple[Tuple[torch.Tensor, ...], Tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """(leaf parameter tensors, constrained transition/start/end scores)."""
    if model.attrs["head"] == "crf":
        leaves = tuple(xp2torch(p, requires_grad=requires_grad) for p in get_crf_params(model.get_ref("crf")))
    else:
        leaves = (torch.zeros((n_tags, n_tags)), torch.zeros((n_tags,)), torch.zeros((n_tags,)))
    return leaves, apply_constraints(*leaves, constraints)


def decode(
    model: Model, scores: List[Floats2d], constraints: Optional[Constraints]
) -> List[Ints1d]:
    """Best valid tag ids per doc (empty arrays for empty docs)."""
    output: List[Ints1d] = [numpy.zeros((0,), dtype="int32") for _ in scores]
    nonempty = [i for i, s in enumerate(scores) if len(s)]
    if not nonempty:
        return output
    with torch.inference_mode():
        _, padded, lengths, _ = pad_scores(model.ops, [scores[i] for i in nonempty])
        if model.attrs["head"] == "softmax":
            padded = torch.log(padded.clamp(min=1e-12))
        _, (trans, start, end) = transition_scores(model, padded.shape[2], constraints)
        paths, _ = viterbi_decode(padded, lengths, trans, start, end)
        paths_np = paths.numpy().astype("int32")
    for row, i in enumerate(nonempty):
        output[i] = paths_np[row, : len(scores[i])]
    return output
