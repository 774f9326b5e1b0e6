"""Run the recurrent encoder and the head over sentences instead of documents.

A 10-sentence document is one 270-step LSTM and CRF recursion; its sentences
are ten 27-step sequences in one batch, which is several times faster and is
how BiLSTM-CRF taggers are usually trained. Boundaries come from the docs'
own sentence annotation (a `sentencizer` or `senter` upstream, listed in
`[training] annotating_components` so training sees them too); a doc without
sentence annotation is one sequence.
"""
from typing import Callable, List, Tuple

import numpy
from spacy.attrs import SENT_START
from spacy.tokens import Doc
from thinc.api import Model
from thinc.types import Floats2d


def sentence_lengths(doc: Doc) -> List[int]:
    """Token counts of the doc's sentences, or [len(doc)] if it has none."""
    if len(doc) == 0:
        return [0]
    if not doc.has_annotation("SENT_START"):
        return [len(doc)]
    # One array read instead of a Python loop over Token objects (which cost
    # as much as the LSTM at inference).
    flags = doc.to_array(SENT_START)
    starts = numpy.flatnonzero(flags == 1)
    if len(starts) == 0 or starts[0] != 0:
        starts = numpy.concatenate([[0], starts])
    return numpy.diff(numpy.append(starts, len(doc))).tolist()


def split_rows(arrays: List[Floats2d], lengths: List[List[int]]) -> List[Floats2d]:
    """Cut each doc's array into its sentences' rows (views, no copy)."""
    pieces = []
    for array, sizes in zip(arrays, lengths):
        start = 0
        for size in sizes:
            pieces.append(array[start : start + size])
            start += size
    return pieces


def join_rows(ops, pieces: List[Floats2d], lengths: List[List[int]]) -> List[Floats2d]:
    """Inverse of `split_rows`: concatenate each doc's sentences again."""
    out = []
    i = 0
    for sizes in lengths:
        out.append(ops.xp.concatenate(pieces[i : i + len(sizes)], axis=0))
        i += len(sizes)
    return out


def with_sentences(
    tok2vec: Model[List[Doc], List[Floats2d]], inner: Model[List[Floats2d], List[Floats2d]]
) -> Model[List[Doc], List[Floats2d]]:
    """tok2vec over whole docs (its context windows stay intact), `inner` per sentence."""
    return Model(
        "with_sentences",
        _forward,
        init=_init,
        layers=[tok2vec, inner],
        dims={"nO": None},
    )


def _init(model: Model, X=None, Y=None) -> None:
    tok2vec, inner = model.layers
    tok2vec.initialize(X=X)
    inner.initialize(X=tok2vec.predict(X) if X is not None else None)


def _forward(model: Model, docs: List[Doc], is_train: bool) -> Tuple[List[Floats2d], Callable]:
    tok2vec, inner = model.layers
    vectors, bp_tok2vec = tok2vec(docs, is_train)
    lengths = [sentence_lengths(doc) for doc in docs]
    pieces, bp_inner = inner(split_rows(vectors, lengths), is_train)
    scores = join_rows(model.ops, pieces, lengths)

    def backprop(d_scores: List[Floats2d]) -> List[Doc]:
        d_pieces = bp_inner(split_rows(d_scores, lengths))
        return bp_tok2vec(join_rows(model.ops, d_pieces, lengths))

    return scores, backprop
