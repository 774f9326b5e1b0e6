"""SGDMomentum.v1: SGD with momentum, clipping and L2, as a [training.optimizer]."""
import numpy
import pytest
from spacy.util import registry
from thinc.api import Config

from spacy_bilstm_crf.ml.optimizers import MomentumOptimizer, SGDMomentum

W0 = [1.0, -2.0, 0.5]
G1 = [3.0, 4.0, 0.0]  # norm 5.0: clipped to 2.0 below
G2 = [0.1, -0.2, 0.3]


def two_steps(optimizer):
    weights = numpy.array(W0, dtype="f")
    for grad in (G1, G2):
        gradient = numpy.array(grad, dtype="f")
        weights, gradient = optimizer((0, "W"), weights, gradient)
        assert gradient.tolist() == [0.0, 0.0, 0.0]  # thinc's contract: the gradient is zeroed
    return weights


def test_two_steps_match_a_hand_computation():
    # lr 0.1, momentum 0.9, clip 2.0, no L2.
    # step 1: g = G1 * 2/5 = [1.2, 1.6, 0];       v = g;                    w = W0 - 0.1 v
    #         w1 = [0.88, -2.16, 0.5]
    # step 2: g = G2 (norm 0.374 < 2);            v = 0.9 [1.2, 1.6, 0] + G2 = [1.18, 1.24, 0.3]
    #         w2 = w1 - 0.1 v = [0.762, -2.284, 0.47]
    optimizer = SGDMomentum(0.1, momentum=0.9, grad_clip=2.0)
    numpy.testing.assert_allclose(two_steps(optimizer), [0.762, -2.284, 0.47], rtol=1e-6)


def test_two_steps_with_l2_in_the_gradient():
    # L2 0.1 added to the gradient before clipping (L2_is_weight_decay = false), no clipping (100).
    # step 1: g = G1 + 0.1 W0 = [3.1, 3.8, 0.05];  v = g; w1 = W0 - 0.1 g = [0.69, -2.38, 0.495]
    # step 2: g = G2 + 0.1 w1 = [0.169, -0.438, 0.3495]
    #         v = 0.9 [3.1, 3.8, 0.05] + g = [2.959, 2.982, 0.3945]
    #         w2 = w1 - 0.1 v = [0.3941, -2.6782, 0.45555]
    optimizer = SGDMomentum(0.1, momentum=0.9, L2=0.1, L2_is_weight_decay=False, grad_clip=100.0)
    numpy.testing.assert_allclose(two_steps(optimizer), [0.3941, -2.6782, 0.45555], rtol=1e-5)


def test_two_steps_with_decoupled_weight_decay():
    # L2 0.1 as weight decay: after the momentum step, w -= lr * L2 * w (= 1% of w).
    # step 1: v = G1; w = (W0 - 0.1 G1) * 0.99 = [0.7, -2.4, 0.5] * 0.99 = [0.693, -2.376, 0.495]
    # step 2: v = 0.9 G1 + G2 = [2.8, 3.4, 0.3]; w = (w1 - 0.1 v) * 0.99 = [0.413, -2.716, 0.465] * 0.99
    optimizer = SGDMomentum(0.1, momentum=0.9, L2=0.1, L2_is_weight_decay=True, grad_clip=100.0)
    numpy.testing.assert_allclose(two_steps(optimizer), [0.40887, -2.68884, 0.46035], rtol=1e-5)


def test_momentum_zero_is_plain_sgd_like_thincs():
    from thinc.api import SGD
    ours = two_steps(SGDMomentum(0.1, momentum=0.0, grad_clip=2.0))
    thincs = two_steps(SGD(0.1, grad_clip=2.0, use_averages=False))
    numpy.testing.assert_array_equal(ours, thincs)


def test_velocity_is_kept_per_parameter():
    optimizer = SGDMomentum(0.1, momentum=0.9, grad_clip=0.0)
    a, b = numpy.zeros(2, dtype="f"), numpy.zeros(2, dtype="f")
    a, _ = optimizer((0, "a"), a, numpy.ones(2, dtype="f"))
    b, _ = optimizer((1, "b"), b, numpy.ones(2, dtype="f"))
    a, _ = optimizer((0, "a"), a, numpy.ones(2, dtype="f"))
    numpy.testing.assert_allclose(a, [-0.29, -0.29], rtol=1e-6)  # 0.1 * 1 + 0.1 * (0.9 + 1)
    numpy.testing.assert_allclose(b, [-0.1, -0.1], rtol=1e-6)


def test_resolves_from_a_training_config_with_a_schedule():
    config = Config().from_str("""
[optimizer]
@optimizers = "spacy-bilstm-crf.SGDMomentum.v1"
momentum = 0.9
grad_clip = 5.0

[optimizer.learn_rate]
@schedules = "spacy-bilstm-crf.epoch_decaying.v1"
base_rate = 0.015
decay = 0.05
steps_per_epoch = 2
""")
    optimizer = registry.resolve(config)["optimizer"]
    assert isinstance(optimizer, MomentumOptimizer)
    assert registry.optimizers.get("spacy-bilstm-crf.SGDMomentum.v1") is SGDMomentum
    rates = []
    for _ in range(5):
        rates.append(optimizer.learn_rate)
        optimizer.step_schedules()
    numpy.testing.assert_allclose(rates, [0.015, 0.015, 0.015 / 1.05, 0.015 / 1.05, 0.015 / 1.1])
    assert optimizer.momentum == 0.9 and optimizer.grad_clip == 5.0 and optimizer.averages is None


@pytest.mark.parametrize("bad", [{"momentum": 1.0}, {"momentum": -0.1}, {"grad_clip": -1.0}, {"L2": -0.5}])
def test_bad_settings_are_refused(bad):
    with pytest.raises(ValueError, match="E202"):
        SGDMomentum(0.1, **bad)
