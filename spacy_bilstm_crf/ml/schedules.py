"""A learning rate decayed once per epoch: lr_t = base_rate / (1 + decay * e),
e the number of epochs completed (Ma & Hovy 2016: 0.015, decay 0.05).

thinc's `decaying.v1` decays at every step, and a schedule sees only steps:
spaCy's loop calls `optimizer.step_schedules()` once per batch and tells the
optimizer nothing about epochs. So the epoch is counted in steps: with
`spacy.batch_by_sequence.v1` of size B over N training examples an epoch is
ceil(N / B) steps (CoNLL-2003 train with `gold_preproc = true`: 14,041
sentences, B = 10: 1,405).
"""
from typing import Iterator

from spacy.util import registry

from ..errors import Errors

NAME = "spacy-bilstm-crf.epoch_decaying.v1"


@registry.schedules(NAME)
def epoch_decaying(base_rate: float, decay: float, *, steps_per_epoch: int, t: int = 0) -> Iterator[float]:
    """Yield base_rate / (1 + decay * (t // steps_per_epoch)) for t = t, t+1, ..."""
    checks = (("base_rate", base_rate, base_rate > 0, "a number > 0"),
              ("decay", decay, decay >= 0, "a number >= 0"),
              ("steps_per_epoch", steps_per_epoch,
               isinstance(steps_per_epoch, int) and not isinstance(steps_per_epoch, bool) and steps_per_epoch >= 1,
               "an integer >= 1"),
              ("t", t, isinstance(t, int) and t >= 0, "an integer >= 0"))
    for arg, value, ok, expected in checks:
        if not ok:
            raise ValueError(Errors.E202.format(name=NAME, arg=arg, value=value, expected=expected))
    return _decay(base_rate, decay, steps_per_epoch, t)


def _decay(base_rate: float, decay: float, steps_per_epoch: int, t: int) -> Iterator[float]:
    while True:
        yield base_rate / (1.0 + decay * (t // steps_per_epoch))
        t += 1
