"""Character encoders over every character of every token: a CNN (Ma & Hovy
2016) and a BiLSTM (Lample et al. 2016).

A word never seen in training still has characters: capitals, digits,
suffixes such as "-ase" or "-ville" tell its type. spaCy's `CharacterEmbed`
sees a fixed number of leading and trailing characters only; these encoders
read the whole word.

The characters of all tokens of a batch are read in one vectorised pass per
doc (the doc's text as UTF-32 code points, cut at the tokens' offsets) into a
`Ragged` with one row per character and one sequence per token. Case is kept.
Code points are hashed into a small table (thinc's `HashEmbed`: four hashed
rows per character, summed), so any character, seen or not, gets a vector
and nothing depends on a vocabulary collected from the training data.
"""
from typing import Callable, List, Tuple

import numpy
import torch
from spacy.attrs import IDX, LENGTH
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import (
    ArgsKwargs,
    HashEmbed,
    Linear,
    Model,
    PyTorchWrapper_v3,
    chain,
    expand_window,
    reduce_max,
    torch2xp,
    with_array,
    xp2torch,
)
from thinc.types import Floats2d, Ragged

from ...errors import Errors
from .packed_lstm import PackedLSTMModule, deserialize_state, serialize_state


def doc_characters(doc: Doc) -> Tuple[numpy.ndarray, numpy.ndarray]:
    """(code points of the doc's tokens' characters, in order, as uint64;
    characters per token). One array pass per doc, no loop over tokens."""
    if len(doc) == 0:
        return numpy.zeros((0,), dtype="uint64"), numpy.zeros((0,), dtype="int32")
    points = numpy.frombuffer(doc.text.encode("utf-32-le"), dtype="<u4")
    spans = doc.to_array([IDX, LENGTH]).astype("int64")
    starts, lengths = spans[:, 0], spans[:, 1]
    total = int(lengths.sum())
    # Row r of the output is character (r - first row of its token) of that token.
    token_of_row = numpy.repeat(numpy.arange(len(lengths)), lengths)
    first_row = numpy.cumsum(lengths) - lengths
    positions = starts[token_of_row] + numpy.arange(total) - first_row[token_of_row]
    return points[positions].astype("uint64"), lengths.astype("int32")


def with_characters(
    encoder: Model[Ragged, Floats2d], name: str
) -> Model[List[Doc], List[Floats2d]]:
    """Docs -> one Ragged of character code points per token for the whole
    batch -> `encoder` (one vector per token) -> one array per doc."""
    return Model(name, _chars_forward, init=_chars_init, layers=[encoder], dims={"nO": encoder.get_dim("nO")})


def _batch_characters(docs: List[Doc]) -> Ragged:
    parts = [doc_characters(doc) for doc in docs]
    points = numpy.concatenate([p for p, _ in parts]) if parts else numpy.zeros((0,), dtype="uint64")
    lengths = numpy.concatenate([n for _, n in parts]) if parts else numpy.zeros((0,), dtype="int32")
    return Ragged(points, lengths)


def _chars_init(model: Model, X=None, Y=None) -> None:
    model.layers[0].initialize(X=_batch_characters(X) if X is not None else None)


def _chars_forward(model: Model, docs: List[Doc], is_train: bool) -> Tuple[List[Floats2d], Callable]:
    encoder = model.layers[0]
    ops = model.ops
    n_tokens = ops.asarray1i([len(doc) for doc in docs])
    chars = _batch_characters(docs)
    if len(chars.lengths) == 0:
        # No tokens in the whole batch: nothing to encode.
        nO = model.get_dim("nO")
        return [ops.alloc2f(0, nO) for _ in docs], lambda d: []
    chars = Ragged(ops.asarray(chars.data, dtype="uint64"), ops.asarray1i(chars.lengths))
    vectors, backprop_encoder = encoder(chars, is_train)
    output = ops.unflatten(vectors, n_tokens)

    def backprop(d_output: List[Floats2d]) -> List[Doc]:
        backprop_encoder(ops.flatten(d_output))
        return []

    return output, backprop


def CharEmbed(embed_width: int, rows: int, dropout: float, seed: int) -> Model[Ragged, Ragged]:
    """Code points -> hashed embeddings, with whole characters dropped in
    training at rate `dropout`. The rate has its own attribute, so spaCy's
    `[training] dropout` leaves it alone."""
    if not 0.0 <= dropout < 1.0:
        raise ValueError(Errors.E006.format(arch="char encoder", arg="dropout", value=dropout,
                                            expected="a rate in [0, 1)"))
    table = HashEmbed(nO=embed_width, nV=rows, seed=seed)
    return Model("char_embed", _embed_forward, init=_embed_init, layers=[table],
                 attrs={"char_dropout_rate": dropout}, dims={"nO": embed_width})


def _embed_init(model: Model, X=None, Y=None) -> None:
    model.layers[0].initialize()


def _embed_forward(model: Model, X: Ragged, is_train: bool) -> Tuple[Ragged, Callable]:
    vectors, backprop_table = model.layers[0](X.data.reshape(-1), is_train)
    rate = model.attrs["char_dropout_rate"]
    mask = None
    if is_train and rate > 0.0 and len(vectors):
        mask = model.ops.get_dropout_mask((vectors.shape[0], 1), rate)
        vectors = vectors * mask

    def backprop(dY: Ragged) -> Ragged:
        d_vectors = dY.data if mask is None else dY.data * mask
        backprop_table(d_vectors)
        return Ragged(model.ops.alloc1i(0), X.lengths)

    return Ragged(vectors, X.lengths), backprop


def _check_sizes(arch: str, **sizes: int) -> None:
    for arg, value in sizes.items():
        if not isinstance(value, int) or value < 1:
            raise ValueError(Errors.E006.format(arch=arch, arg=arg, value=value, expected="an integer >= 1"))


@registry.architectures("spacy-bilstm-crf.CharCNN.v1")
def CharCNN(
    width: int = 50,
    embed_width: int = 30,
    rows: int = 1000,
    window_size: int = 1,
    dropout: float = 0.0,
    seed: int = 23,
) -> Model[List[Doc], List[Floats2d]]:
    """Character embeddings, a convolution over 2 * window_size + 1 characters
    (zero-padded at the word's edges) with `width` filters, max-pooled over
    the word: a `width`-dim vector per token."""
    _check_sizes("spacy-bilstm-crf.CharCNN.v1", width=width, embed_width=embed_width, rows=rows,
                 window_size=window_size)
    encoder = chain(
        CharEmbed(embed_width, rows, dropout, seed),
        expand_window(window_size=window_size),
        with_array(Linear(nO=width, nI=embed_width * (2 * window_size + 1))),
        reduce_max(),
    )
    encoder.set_dim("nO", width)
    return with_characters(encoder, "char_cnn")


class CharBiLSTMModule(torch.nn.Module):
    """A BiLSTM over each word's characters: its last forward state and its
    first backward state, concatenated. (N chars, nI) + lengths -> (words, 2 nH)."""

    def __init__(self, nI: int, nH: int, depth: int):
        super().__init__()
        self.lstm = PackedLSTMModule(nI, nH, depth, 0.0, True)

    def forward(self, flat: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        states = self.lstm(flat, lengths)
        ends = torch.cumsum(lengths, 0)
        hidden = states.shape[1] // 2
        return torch.cat([states[ends - 1, :hidden], states[ends - lengths, hidden:]], dim=1)


def CharBiLSTMLayer(width: int, embed_width: int, depth: int) -> Model[Ragged, Floats2d]:
    module = CharBiLSTMModule(embed_width, width // 2, depth)
    model = PyTorchWrapper_v3(
        module,
        convert_inputs=_lstm_inputs,
        convert_outputs=_lstm_outputs,
        serialize_model=serialize_state,
        deserialize_model=deserialize_state,
    )
    model.name = "char_bilstm_ends"
    model.set_dim("nI", embed_width)
    model.set_dim("nO", width)
    return model


def _lstm_inputs(model: Model, X: Ragged, is_train: bool) -> Tuple[ArgsKwargs, Callable]:
    flat = xp2torch(model.ops.asarray2f(X.data), requires_grad=is_train)
    lengths = torch.as_tensor(numpy.asarray(X.lengths), dtype=torch.int64)

    def convert_dX(dX: ArgsKwargs) -> Ragged:
        return Ragged(torch2xp(dX.args[0]), X.lengths)

    return ArgsKwargs(args=(flat, lengths), kwargs={}), convert_dX


def _lstm_outputs(model: Model, inputs_outputs, is_train: bool) -> Tuple[Floats2d, Callable]:
    _, Y_t = inputs_outputs

    def convert_dY(dY: Floats2d) -> ArgsKwargs:
        return ArgsKwargs(args=(Y_t,), kwargs={"grad_tensors": (xp2torch(model.ops.asarray2f(dY)),)})

    return torch2xp(Y_t), convert_dY


@registry.architectures("spacy-bilstm-crf.CharBiLSTM.v1")
def CharBiLSTM(
    width: int = 50,
    embed_width: int = 25,
    rows: int = 1000,
    depth: int = 1,
    dropout: float = 0.0,
    seed: int = 29,
) -> Model[List[Doc], List[Floats2d]]:
    """Character embeddings, a BiLSTM of `width // 2` units per direction over
    each word: its final states, a `width`-dim vector per token."""
    arch = "spacy-bilstm-crf.CharBiLSTM.v1"
    _check_sizes(arch, width=width, embed_width=embed_width, rows=rows, depth=depth)
    if width % 2:
        raise ValueError(Errors.E006.format(arch=arch, arg="width", value=width, expected="an even integer"))
    encoder = chain(CharEmbed(embed_width, rows, dropout, seed), CharBiLSTMLayer(width, embed_width, depth))
    encoder.set_dim("nO", width)
    return with_characters(encoder, "char_bilstm")
