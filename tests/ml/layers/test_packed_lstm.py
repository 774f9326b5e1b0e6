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
