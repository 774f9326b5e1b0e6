"""Word embeddings over a real vocabulary, fine-tuned from pretrained vectors
(Ma & Hovy 2016, Lample et al. 2016).

Three kinds of rows, in this order of precedence:

- one trainable row per word of the training corpus (lower-cased with
  `lower = true`, as GloVe is), initialised from the pipeline's vectors
  (`nlp.vocab.vectors`, i.e. `paths.vectors`) where the word has one, else
  uniformly in +-sqrt(3 / width) (the papers' initialisation);
- every other word of the pretrained table, read frozen from
  `nlp.vocab.vectors` itself: one copy of the table, stored once with the
  vocab, so a word never seen in training keeps its pretrained vector (it is
  no parameter: no update, no weight decay);
- one trainable unknown-word row for words in neither, trained by reading
  each training token as the unknown word with probability `unknown_rate`.

The vocabulary is the words of every training example: the component calls
`set_training_words` with its full `get_examples()` before it initializes the
model on a sample (thinc's `initialize(X=...)` sees only that sample; without
a call, the layer takes the words of X). The words and the table's size are a
thinc attr and dims, saved with the pipeline, so `spacy.load` rebuilds the
layer before it reads the weights, and a trained layer keeps its words when
fine-tuned. Case is not in the rows with `lower = true`: it reaches the model
through the character encoder and a case feature beside this layer.
"""
from typing import Callable, Iterable, List, Optional, Tuple

import numpy
from spacy.attrs import LOWER, ORTH
from spacy.strings import get_string_id
from spacy.tokens import Doc
from spacy.util import registry
from spacy.vectors import Mode
from thinc.api import Model
from thinc.types import Floats2d, Ints1d

from ...errors import Errors

ARCH = "spacy-bilstm-crf.WordEmbed.v1"
UNKNOWN_ROW = 0


@registry.architectures(ARCH)
def WordEmbed(
    width: Optional[int] = None, *, lower: bool = True, dropout: float = 0.0, unknown_rate: float = 0.0
) -> Model[List[Doc], List[Floats2d]]:
    """One `width`-dim vector per token: its trainable row, else its frozen
    pretrained vector, else the unknown row. `width = null`: the width of the
    pipeline's vectors (`paths.vectors`), read at initialize. `dropout`: element-wise dropout
    on the output in training; `unknown_rate`: the share of training tokens
    read as the unknown word. Both rates have their own attrs, so spaCy's
    `[training] dropout` leaves them alone."""
    if width is not None:
        _check(width=width, minimum=1)
    for arg, rate in (("dropout", dropout), ("unknown_rate", unknown_rate)):
        if not isinstance(rate, (int, float)) or not 0.0 <= rate < 1.0:
            raise ValueError(Errors.E006.format(arch=ARCH, arg=arg, value=rate, expected="a rate in [0, 1)"))
    index = _WordIndex()
    return Model(
        "word_embed",
        lambda model, docs, is_train: _forward(model, docs, is_train, index),
        init=_init,
        dims={"nO": width, "nV": None},
        params={"E": None},
        attrs={"words": None, "lower": bool(lower), "word_embed_dropout_rate": float(dropout),
               "unknown_rate": float(unknown_rate)},
    )


def _check(*, width: object, minimum: int) -> None:
    if isinstance(width, bool) or not isinstance(width, int) or width < minimum:
        raise ValueError(Errors.E006.format(arch=ARCH, arg="width", value=width,
                                            expected=f"an integer >= {minimum}"))


def set_training_words(model: Model, docs: Iterable[Doc]) -> int:
    """Give every WordEmbed layer inside `model` that has no words yet the
    distinct words of `docs` (one pass; for a component, all of
    `get_examples()`). A layer that already has words (a trained or loaded
    pipeline) keeps them. Returns the number of layers given words."""
    layers = [node for node in model.walk() if node.name == "word_embed" and node.attrs["words"] is None]
    if not layers:
        return 0
    cased, lowered = set(), set()
    for doc in docs:
        for token in doc:
            cased.add(token.text)
            lowered.add(token.lower_)
    for layer in layers:
        layer.attrs["words"] = sorted(lowered if layer.attrs["lower"] else cased)
    return len(layers)


def _words_of(docs: Iterable[Doc], lower: bool) -> List[str]:
    return sorted({token.lower_ if lower else token.text for doc in docs for token in doc})


def _init(model: Model, X: Optional[List[Doc]] = None, Y=None) -> None:
    """Size the table (words + the unknown row) and fill it: a word's
    pretrained vector where it has one, else a random row."""
    if model.attrs["words"] is None:
        model.attrs["words"] = _words_of(X or [], model.attrs["lower"])
    words = model.attrs["words"]
    vectors = X[0].vocab.vectors if X else None
    if vectors is not None and vectors.shape[0] and not model.has_dim("nO"):
        model.set_dim("nO", vectors.shape[1])
    if not model.has_dim("nO"):
        raise ValueError(Errors.E203)
    width = model.get_dim("nO")
    scale = numpy.sqrt(3.0 / width)
    table = numpy.random.uniform(-scale, scale, (len(words) + 1, width)).astype("float32")
    vectors = _vectors(model, vectors) if vectors is not None else None
    if vectors is not None and words:
        rows = vectors.find(keys=words)
        found = rows >= 0
        table[1:][found] = vectors.data[rows[found]]
    model.set_dim("nV", len(words) + 1, force=True)
    model.set_param("E", model.ops.asarray2f(table))


def _vectors(model: Model, vectors) -> Optional[object]:
    """The pipeline's vectors table, or None when it is empty; its width
    must be the layer's."""
    if vectors.mode != Mode.default:
        raise ValueError(Errors.E201.format(mode=vectors.mode))
    if vectors.shape[0] == 0 or vectors.shape[1] == 0:
        return None
    if vectors.shape[1] != model.get_dim("nO"):
        raise ValueError(Errors.E200.format(width=model.get_dim("nO"), n=vectors.shape[1]))
    return vectors


class _WordIndex:
    """Sorted string hashes of a layer's words, built once per words list
    (by identity: loading or setting words gives a new list)."""

    def __init__(self) -> None:
        self.words: Optional[list] = None
        self.keys = numpy.zeros((0,), dtype="uint64")
        self.rows = numpy.zeros((0,), dtype="int64")

    def lookup(self, words: list, keys: numpy.ndarray) -> numpy.ndarray:
        """Table rows of the token keys: 1 + the word's index, or 0 (unknown)."""
        if self.words is not words:
            word_keys = numpy.asarray([get_string_id(w) for w in words], dtype="uint64")
            order = numpy.argsort(word_keys)
            self.keys, self.rows, self.words = word_keys[order], order.astype("int64") + 1, words
        if len(self.keys) == 0:
            return numpy.full(len(keys), UNKNOWN_ROW, dtype="int64")
        pos = numpy.minimum(numpy.searchsorted(self.keys, keys), len(self.keys) - 1)
        return numpy.where(self.keys[pos] == keys, self.rows[pos], UNKNOWN_ROW)


def _forward(
    model: Model, docs: List[Doc], is_train: bool, index: _WordIndex
) -> Tuple[List[Floats2d], Callable]:
    ops = model.ops
    width = model.get_dim("nO")
    lengths = [len(doc) for doc in docs]
    if sum(lengths) == 0:
        return [ops.alloc2f(0, width) for _ in docs], lambda d_output: []
    attr = LOWER if model.attrs["lower"] else ORTH
    keys = numpy.concatenate([doc.to_array(attr).astype("uint64").reshape(-1) for doc in docs])
    known = index.lookup(model.attrs["words"], keys)
    dropped = numpy.zeros(len(keys), dtype=bool)
    if is_train and model.attrs["unknown_rate"] > 0.0:
        dropped = numpy.random.random_sample(len(keys)) < model.attrs["unknown_rate"]
    rows = numpy.where(dropped, UNKNOWN_ROW, known)
    E = model.get_param("E")
    output = E[ops.asarray1i(rows)]
    # Words outside the trainable rows (and not read as unknown) look up the
    # pretrained table, frozen: their rows get no gradient (-1).
    vectors = _vectors(model, docs[0].vocab.vectors)
    outside = numpy.flatnonzero((known == UNKNOWN_ROW) & ~dropped)
    if vectors is not None and len(outside):
        found = vectors.find(keys=keys[outside])
        hit = found >= 0
        if hit.any():
            output[ops.asarray1i(outside[hit])] = ops.asarray2f(vectors.data[found[hit]])
            rows[outside[hit]] = -1
    mask = None
    rate = model.attrs["word_embed_dropout_rate"]
    if is_train and rate > 0.0:
        mask = ops.get_dropout_mask(output.shape, rate)
        output = output * mask
    trainable: Ints1d = ops.asarray1i(numpy.flatnonzero(rows >= 0))
    trainable_rows: Ints1d = ops.asarray1i(rows[rows >= 0])

    def backprop(d_output: List[Floats2d]) -> List[Doc]:
        d_flat = ops.flatten(d_output)
        if mask is not None:
            d_flat = d_flat * mask
        dE = ops.alloc2f(*E.shape)
        ops.scatter_add(dE, trainable_rows, d_flat[trainable])
        model.inc_grad("E", dE)
        return []

    return ops.unflatten(output, ops.asarray1i(lengths)), backprop
