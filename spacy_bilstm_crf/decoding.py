"""Turn per-token scores into valid tag sequences, batched.

Both heads decode with the same constrained Viterbi: the CRF with its learned
transitions, the softmax heads with log-probabilities and zero transitions, so
their output is the most probable *valid* sequence (argmax repaired by the
scheme's constraints) rather than a per-token argmax that may be invalid.
"""
from typing import List, NamedTuple, Optional, Sequence, Tuple

import numpy
import torch
from thinc.api import Model, xp2torch
from thinc.types import Floats1d, Floats2d, Ints1d

from .crf import apply_constraints, span_log_probs, viterbi_packed
from .layers.crf import get_crf_params
from .packing import pack_layout
from .tags import continuation_ids, tag_ids_to_offsets

Constraints = Tuple[torch.Tensor, torch.Tensor, torch.Tensor]


def flat_scores(ops, scores: Sequence[Floats2d], *, requires_grad: bool = False) -> Tuple[torch.Tensor, torch.Tensor]:
    """Non-empty score arrays -> their concatenation as an (N, K) tensor (the
    leaf to read gradients from) and the (B,) lengths."""
    lengths = torch.tensor([len(s) for s in scores], dtype=torch.int64)
    flat = xp2torch(ops.asarray2f(ops.flatten(list(scores), pad=0)), requires_grad=requires_grad)
    return flat, lengths


def transition_scores(
    model: Model, n_tags: int, constraints: Optional[Constraints], *, requires_grad: bool = False
) -> Tuple[Tuple[torch.Tensor, ...], Tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """(leaf parameter tensors, constrained transition/start/end scores)."""
    if model.attrs["head"] == "crf":
        leaves = tuple(xp2torch(p, requires_grad=requires_grad) for p in get_crf_params(model.get_ref("crf")))
    else:
        leaves = (torch.zeros((n_tags, n_tags)), torch.zeros((n_tags,)), torch.zeros((n_tags,)))
    return leaves, apply_constraints(*leaves, constraints)


class Decoded(NamedTuple):
    """What `predict` hands to `set_annotations`: tag ids per doc and, when
    asked for, the probability of each decoded entity (in entity order)."""

    tag_ids: List[Ints1d]
    entity_scores: Optional[List[Floats1d]]


def decode(
    model: Model,
    scores: List[Floats2d],
    constraints: Optional[Constraints],
    *,
    entity_scores: Optional[Tuple[Sequence[str], str]] = None,
    temperature: float = 1.0,
) -> Decoded:
    """Best valid tag ids per sequence (empty arrays for empty ones).

    entity_scores: (tags, scheme) to also compute each decoded entity's
    probability: for the CRF the exact marginal probability of that labelled
    span; for the softmax heads the same computation on log-probabilities
    with no learned transitions (the tokens treated as independent, under the
    scheme's constraints), an approximation. temperature divides every
    score for the probabilities only (temperature scaling, for calibration).
    """
    output: List[Ints1d] = [numpy.zeros((0,), dtype="int32") for _ in scores]
    probs: Optional[List[Floats1d]] = None
    if entity_scores is not None:
        probs = [numpy.zeros((0,), dtype="float32") for _ in scores]
    nonempty = [i for i, s in enumerate(scores) if len(s)]
    if not nonempty:
        return Decoded(output, probs)
    with torch.inference_mode():
        flat, lengths = flat_scores(model.ops, [scores[i] for i in nonempty])
        if model.attrs["head"] == "softmax":
            flat = torch.log(flat.clamp(min=1e-12))
        _, (trans, start, end) = transition_scores(model, flat.shape[1], constraints)
        tags_t, _ = viterbi_packed(flat, pack_layout(lengths), trans, start, end)
        tags_np = tags_t.numpy().astype("int32")
        offsets = numpy.cumsum([0] + lengths.tolist())
        for row, i in enumerate(nonempty):
            output[i] = tags_np[offsets[row] : offsets[row + 1]]
        if probs is not None:
            tags, scheme = entity_scores
            spans = [
                (row, s, e)
                for row, i in enumerate(nonempty)
                for s, e, _ in tag_ids_to_offsets(output[i], tags, scheme)
            ]
            span_t = torch.tensor(spans, dtype=torch.int64).reshape(-1, 3)
            continuation = torch.from_numpy(continuation_ids(tags, scheme))
            t = temperature
            log_p = span_log_probs(flat / t, lengths, trans / t, start / t, end / t, tags_t, span_t, continuation)
            values = log_p.exp().clamp(max=1.0).numpy().astype("float32")
            rows = span_t[:, 0].numpy()
            for row, i in enumerate(nonempty):
                probs[i] = values[rows == row]
    return Decoded(output, probs)
