import numpy
import pytest
from thinc.api import fix_random_seed

from spacy_bilstm_crf.ml.layers.packed_lstm import PackedLSTM


@pytest.fixture
def lstm():
    fix_random_seed(0)
    model = PackedLSTM(16, 8, depth=2, dropout=0.0, bidirectional=True)
    model.initialize()
    return model


def test_output_does_not_depend_on_batch(lstm):
    rng = numpy.random.default_rng(0)
    short = rng.normal(size=(3, 8)).astype("float32")
    long = rng.normal(size=(10, 8)).astype("float32")
    alone = lstm.predict([short])[0]
    batched = lstm.predict([long, short, numpy.zeros((0, 8), dtype="float32")])
    assert batched[2].shape == (0, 16)
    numpy.testing.assert_allclose(batched[1], alone, atol=1e-6)


def test_backprop_shapes_and_empty_docs(lstm):
    X = [numpy.ones((4, 8), dtype="float32"), numpy.zeros((0, 8), dtype="float32")]
    Y, backprop = lstm.begin_update(X)
    dX = backprop([numpy.ones_like(y) for y in Y])
    assert [d.shape for d in dX] == [(4, 8), (0, 8)]
    assert numpy.abs(dX[0]).sum() > 0


def test_weights_roundtrip_through_safetensors(lstm):
    X = [numpy.random.default_rng(1).normal(size=(5, 8)).astype("float32")]
    data = lstm.to_bytes()
    other = PackedLSTM(16, 8, depth=2, dropout=0.0, bidirectional=True).from_bytes(data)
    numpy.testing.assert_array_equal(other.predict(X)[0], lstm.predict(X)[0])


def test_loading_never_unpickles():
    import srsly

    model = PackedLSTM(4, 4, depth=1, dropout=0.0, bidirectional=True)
    shim = srsly.msgpack_loads(model.shims[0].to_bytes())
    # A pickle (torch.save) would start with the zip magic or a pickle opcode.
    assert not shim["state"].startswith(b"PK") and shim["state"][:1] != b"\x80"
    evil = dict(shim, state=b"\x80\x04K\x01.")
    with pytest.raises(Exception):
        model.shims[0].from_bytes(srsly.msgpack_dumps(evil))


def test_packing_matches_torch_pad_and_pack():
    """Packing straight from the concatenation gives torch's own packed LSTM
    result, outputs and input gradients, for unsorted lengths."""
    import torch
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    from spacy_bilstm_crf.ml.layers.packed_lstm import PackedLSTMModule

    torch.manual_seed(0)
    module = PackedLSTMModule(4, 3, depth=2, dropout=0.0, bidirectional=True)
    lengths = torch.tensor([3, 7, 1, 7, 2])
    flat = torch.randn(int(lengths.sum()), 4, requires_grad=True)
    ours = module(flat, lengths)
    (d_ours,) = torch.autograd.grad(ours.pow(2).sum(), flat)

    mask = torch.arange(7)[None, :] < lengths[:, None]
    padded = flat.new_zeros((5, 7, 4))
    padded[mask] = flat
    packed = pack_padded_sequence(padded, lengths, batch_first=True, enforce_sorted=False)
    out, _ = pad_packed_sequence(module.lstm(packed)[0], batch_first=True)
    reference = out[mask]
    (d_ref,) = torch.autograd.grad(reference.pow(2).sum(), flat)
    assert torch.allclose(ours, reference, atol=1e-6)
    assert torch.allclose(d_ours, d_ref, atol=1e-6)


def _brute_force_cost(lengths, step_cost):
    """Lowest cost over every split of the sorted lengths into consecutive groups."""
    best = [0.0] + [float("inf")] * len(lengths)
    for end in range(1, len(lengths) + 1):
        for begin in range(end):
            best[end] = min(best[end], best[begin] + lengths[begin] * (step_cost + end - begin))
    return best[-1]


@pytest.mark.parametrize("step_cost", [0.0, 1.5, 10.0])
def test_group_sizes_are_the_cheapest_split(step_cost):
    from spacy_bilstm_crf.ml.layers.packed_lstm import group_sizes

    rng = numpy.random.default_rng(0)
    for _ in range(200):
        lengths = numpy.sort(rng.integers(1, 30, size=int(rng.integers(1, 9))))[::-1]
        sizes = group_sizes(lengths, step_cost)
        assert sum(sizes) == len(lengths) and min(sizes) >= 1
        starts = numpy.cumsum([0] + sizes[:-1])
        cost = sum(lengths[s] * (step_cost + n) for s, n in zip(starts, sizes))
        assert cost == pytest.approx(_brute_force_cost(list(lengths), step_cost))


def test_group_sizes_keep_a_long_table_apart():
    """One 400-token 'sentence' among 50 short ones runs alone, not padding them."""
    from spacy_bilstm_crf.ml.layers.packed_lstm import group_sizes

    lengths = numpy.array([400] + [20] * 50)
    assert group_sizes(lengths, 1.5) == [1, 50]
    assert group_sizes(numpy.array([7, 7, 7]), 1.5) == [3]
    assert group_sizes(numpy.array([], dtype=int), 1.5) == []


def test_output_does_not_depend_on_grouping(monkeypatch):
    """Outputs and input gradients are the same whatever the split into groups."""
    import torch

    import spacy_bilstm_crf.ml.layers.packed_lstm as packed

    torch.manual_seed(0)
    module = packed.PackedLSTMModule(4, 3, depth=2, dropout=0.0, bidirectional=True)
    lengths = torch.tensor([3, 40, 1, 7, 2, 40, 5])
    flat = torch.randn(int(lengths.sum()), 4, requires_grad=True)
    results = []
    for step_cost in (0.0, 1.5, 1000.0):  # one group per length .. one group
        monkeypatch.setattr(packed, "STEP_COST", step_cost)
        n_groups = len(packed._padded_groups(lengths, step_cost))
        out = module(flat, lengths)
        (d_flat,) = torch.autograd.grad(out.pow(2).sum(), flat)
        results.append((n_groups, out, d_flat))
    assert results[0][0] == 6 and results[-1][0] == 1
    for _, out, d_flat in results[1:]:
        assert torch.allclose(out, results[0][1], atol=1e-6)
        assert torch.allclose(d_flat, results[0][2], atol=1e-6)


@pytest.mark.parametrize("user_value,expected", [(None, "0"), ("256", "256")])
def test_onednn_primitive_cache_is_off_unless_the_user_chose(user_value, expected):
    """Loading a pipeline (the entry points import the layer) turns oneDNN's
    primitive cache off before any LSTM runs; a value the user set is kept."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "ONEDNN_PRIMITIVE_CACHE_CAPACITY"}
    if user_value is not None:
        env["ONEDNN_PRIMITIVE_CACHE_CAPACITY"] = user_value
    code = (
        "import os, spacy\n"
        "spacy.registry.architectures.get('spacy-bilstm-crf.BiLSTMCRFTagger.v2')\n"
        "print(os.environ['ONEDNN_PRIMITIVE_CACHE_CAPACITY'])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == expected
