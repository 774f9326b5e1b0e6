"""The CRF's parameters as a thinc layer, so spaCy's optimizer trains them and
thinc saves them (with their size) in the pipeline.

In the forward pass the layer is the identity on the emission scores; the
likelihood and decoding read its parameters (see `spacy_bilstm_crf.ml.crf`).
"""
from typing import Callable, List, Optional, Tuple

import numpy
from thinc.api import Model
from thinc.types import Floats1d, Floats2d

PARAMS = ("transitions", "start", "end")


def CRFTransitions(nO: Optional[int] = None) -> Model[List[Floats2d], List[Floats2d]]:
    return Model(
        "crf",
        _forward,
        init=_init,
        dims={"nO": nO},
        params={name: None for name in PARAMS},
    )


def _init(model: Model, X: Optional[List[Floats2d]] = None, Y=None) -> None:
    if not model.has_dim("nO") and X:
        model.set_dim("nO", X[0].shape[1])
    n_tags = model.get_dim("nO")
    model.set_param("transitions", model.ops.alloc2f(n_tags, n_tags))
    model.set_param("start", model.ops.alloc1f(n_tags))
    model.set_param("end", model.ops.alloc1f(n_tags))


def _forward(model: Model, Xs: List[Floats2d], is_train: bool) -> Tuple[List[Floats2d], Callable]:
    return Xs, lambda dYs: dYs


def get_crf_params(model: Model) -> Tuple[Floats2d, Floats1d, Floats1d]:
    return tuple(model.get_param(name) for name in PARAMS)  # type: ignore[return-value]


def inc_crf_grads(model: Model, grads: Tuple[numpy.ndarray, ...]) -> None:
    for name, grad in zip(PARAMS, grads):
        model.inc_grad(name, model.ops.asarray(grad, dtype="float32"))
