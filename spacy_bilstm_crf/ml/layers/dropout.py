"""Dropout over a list of sequences: element-wise, spatial (whole channels) or
word dropout (whole tokens).

Spatial dropout is Keras' `SpatialDropout1D`: one mask per document that zeroes
whole feature channels, which regularises embeddings better than token-wise
masks. Word dropout zeroes a token's whole vector, so the tagger must label it
from its context, as it must for a word it never saw in training. The rate lives in its own attribute so that spaCy's `[training] dropout`
(which sets every "dropout_rate") leaves the architecture's configured rate alone.
"""
from typing import Callable, List, Tuple

from thinc.api import Model
from thinc.types import Floats2d

from ...errors import Errors


def ListDropout(rate: float, *, spatial: bool) -> Model[List[Floats2d], List[Floats2d]]:
    """Element-wise dropout, or spatial dropout with `spatial=True`."""
    return _dropout("spatial_dropout" if spatial else "dropout", rate, "channels" if spatial else "elements")


def WordDropout(rate: float) -> Model[List[Floats2d], List[Floats2d]]:
    """Zero whole token vectors (scaled up by 1 / (1 - rate) like any dropout)."""
    return _dropout("word_dropout", rate, "tokens")


def _dropout(name: str, rate: float, unit: str) -> Model[List[Floats2d], List[Floats2d]]:
    if not 0.0 <= rate < 1.0:
        raise ValueError(Errors.E402.format(rate=rate))
    return Model(name, _forward, attrs={"bilstm_dropout_rate": rate, "unit": unit})


def _forward(
    model: Model, Xs: List[Floats2d], is_train: bool
) -> Tuple[List[Floats2d], Callable]:
    rate = model.attrs["bilstm_dropout_rate"]
    if not is_train or rate == 0.0:
        return Xs, lambda dYs: dYs
    masks = []
    for X in Xs:
        unit = model.attrs["unit"]
        shape = {"channels": (1, X.shape[1]), "tokens": (X.shape[0], 1)}.get(unit, X.shape)
        masks.append(model.ops.get_dropout_mask(shape, rate))
    Ys = [X * mask for X, mask in zip(Xs, masks)]

    def backprop(dYs: List[Floats2d]) -> List[Floats2d]:
        return [dY * mask for dY, mask in zip(dYs, masks)]

    return Ys, backprop
