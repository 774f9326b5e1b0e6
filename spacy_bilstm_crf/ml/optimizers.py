"""SGD with (heavy-ball) momentum, for `[training.optimizer]`.

thinc's `SGD.v1` has no momentum and its `Optimizer` runs Adam whenever
`beta1 > 0`, so the recipe of Ma & Hovy (2016) (SGD, momentum 0.9, gradient
clipping 5) needs its own update rule. Per parameter, as PyTorch's `SGD`:

    g = clip(grad [+ L2 * w])      # clip: thinc's, by the parameter's L2 norm
    v = momentum * v + g
    w = w - lr * v [- lr * L2 * w]  # the last term when L2_is_weight_decay

Everything else (schedules for any setting, parameter averages, `lr_scale`)
is thinc's `Optimizer`, so spaCy's training loop treats it as any other.
"""
from typing import Tuple

from thinc.api import Optimizer
from thinc.backends import get_array_ops
from thinc.optimizers import FloatOrSeq, KeyT
from thinc.types import FloatsXd
from spacy.util import registry

from ..errors import Errors

NAME = "spacy-bilstm-crf.SGDMomentum.v1"


@registry.optimizers(NAME)
def SGDMomentum(
    learn_rate: FloatOrSeq,
    *,
    momentum: FloatOrSeq = 0.9,
    L2: FloatOrSeq = 0.0,
    L2_is_weight_decay: bool = False,
    grad_clip: FloatOrSeq = 5.0,
    use_averages: bool = False,
) -> Optimizer:
    """SGD with momentum; every float may be a schedule (e.g. the learning
    rate from `spacy-bilstm-crf.epoch_decaying.v1`)."""
    return MomentumOptimizer(learn_rate, momentum=momentum, L2=L2, L2_is_weight_decay=L2_is_weight_decay,
                             grad_clip=grad_clip, use_averages=use_averages)


class MomentumOptimizer(Optimizer):
    """thinc's Optimizer with SGD-with-momentum as its update rule; the
    velocities live in thinc's `mom1`."""

    def __init__(self, learn_rate: FloatOrSeq, *, momentum: FloatOrSeq, L2: FloatOrSeq,
                 L2_is_weight_decay: bool, grad_clip: FloatOrSeq, use_averages: bool):
        super().__init__(learn_rate, L2=L2, beta1=0.0, beta2=0.0, grad_clip=grad_clip,
                         use_averages=use_averages, L2_is_weight_decay=L2_is_weight_decay)
        self._set_attr_or_schedule("momentum", momentum)
        _check_rate("momentum", self.momentum, upper_inclusive=False)
        _check_rate("learn_rate", self.learn_rate, upper_inclusive=None)
        _check_rate("grad_clip", self.grad_clip, upper_inclusive=None)
        _check_rate("L2", self.L2, upper_inclusive=None)

    def __call__(self, key: KeyT, weights: FloatsXd, gradient: FloatsXd, *,
                 lr_scale: float = 1.0) -> Tuple[FloatsXd, FloatsXd]:
        if len(gradient) < 1:
            return weights, gradient
        ops = get_array_ops(weights)
        self.nr_update[key] += 1
        if self.L2 != 0 and not self.L2_is_weight_decay:
            gradient += self.L2 * weights
        if self.grad_clip:
            gradient = ops.clip_gradient(gradient, self.grad_clip)
        if key not in self.mom1:
            self.mom1[key] = ops.alloc(weights.shape, dtype=weights.dtype)
        velocity = self.mom1[key]
        velocity *= self.momentum
        velocity += gradient
        weights -= lr_scale * self.learn_rate * velocity
        gradient *= 0
        if self.L2 != 0 and self.L2_is_weight_decay:
            weights -= lr_scale * self.learn_rate * self.L2 * weights
        if self.averages is not None:
            if key not in self.averages:
                self.averages[key] = ops.alloc(weights.shape, dtype="float32")
            ops.update_averages(self.averages[key], weights, self.nr_update[key])
        return weights, gradient


def _check_rate(arg: str, value: float, *, upper_inclusive) -> None:
    """value >= 0, and < 1 for a momentum (upper_inclusive=False)."""
    ok = isinstance(value, (int, float)) and value >= 0 and (upper_inclusive is None or value < 1)
    if not ok:
        expected = "a number in [0, 1)" if upper_inclusive is False else "a number >= 0"
        raise ValueError(Errors.E202.format(name=NAME, arg=arg, value=value, expected=expected))
