"""epoch_decaying.v1: lr / (1 + decay * epochs completed), epochs counted in steps."""
import pytest
from spacy.util import registry

from spacy_bilstm_crf.ml.schedules import epoch_decaying


def test_decays_once_per_epoch():
    schedule = epoch_decaying(0.015, 0.05, steps_per_epoch=3)
    rates = [next(schedule) for _ in range(10)]
    expected = [0.015] * 3 + [0.015 / 1.05] * 3 + [0.015 / 1.1] * 3 + [0.015 / 1.15]
    assert rates == pytest.approx(expected, rel=1e-12)


def test_starts_at_t():
    assert next(epoch_decaying(0.01, 0.5, steps_per_epoch=4, t=8)) == pytest.approx(0.005)


def test_registered():
    assert registry.schedules.get("spacy-bilstm-crf.epoch_decaying.v1") is epoch_decaying


@pytest.mark.parametrize("bad", [
    {"base_rate": 0.0}, {"decay": -0.1}, {"steps_per_epoch": 0}, {"steps_per_epoch": 2.5}, {"t": -1},
])
def test_bad_settings_are_refused(bad):
    settings = dict({"base_rate": 0.01, "decay": 0.05, "steps_per_epoch": 10}, **bad)
    with pytest.raises(ValueError, match="E202"):
        epoch_decaying(**settings)
