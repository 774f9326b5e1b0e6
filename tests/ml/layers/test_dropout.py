"""Dropout over lists of sequences: element-wise, spatial and word dropout."""
import numpy
import pytest

from spacy_bilstm_crf.ml.layers.dropout import ListDropout, WordDropout


def _ones(n_tokens=400, width=6):
    return [numpy.ones((n_tokens, width), dtype="f"), numpy.ones((3, width), dtype="f")]


def test_word_dropout_zeroes_whole_tokens_and_scales_the_rest():
    model = WordDropout(0.25)
    model.initialize()
    Ys, backprop = model(_ones(), is_train=True)
    row_sums = Ys[0].sum(axis=1)
    # Whole rows are either all zero or all 1 / (1 - rate).
    assert set(numpy.round(row_sums, 4).tolist()) <= {0.0, round(6 / 0.75, 4)}
    assert 0.15 < (row_sums == 0).mean() < 0.35
    dXs = backprop([numpy.ones_like(Y) for Y in Ys])
    numpy.testing.assert_array_equal(dXs[0], Ys[0])  # same mask on the way back


def test_spatial_dropout_zeroes_whole_channels():
    model = ListDropout(0.5, spatial=True)
    model.initialize()
    Ys, _ = model(_ones(width=64), is_train=True)
    column_sums = Ys[0].sum(axis=0)
    assert set(numpy.round(column_sums, 4).tolist()) <= {0.0, 800.0}


@pytest.mark.parametrize("make", [WordDropout, lambda r: ListDropout(r, spatial=True),
                                  lambda r: ListDropout(r, spatial=False)])
def test_dropout_is_identity_at_inference_and_rejects_bad_rates(make):
    model = make(0.3)
    Xs = _ones()
    Ys, _ = model(Xs, is_train=False)
    assert all(Y is X for X, Y in zip(Xs, Ys))
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        make(1.0)
