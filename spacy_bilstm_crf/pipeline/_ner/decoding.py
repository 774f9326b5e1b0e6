"""Turn per-token scores into valid tag sequences, batched.

Both heads decode with the same constrained Viterbi: the CRF with its learned
transitions, the softmax heads with log-probabilities and zero transitions, so
their output is the most probable *valid* sequence (argmax repaired by the
scheme's constraints) rather than a per-token argmax that may be invalid.
"""
from typing import Any, Iterator, List, NamedTuple, Optional, Sequence, Tuple

import numpy
import torch
from spacy.tokens import Doc
from thinc.api import Model
from thinc.types import Floats1d, Floats2d, Ints1d, Ints2d

from ...ml.crf import Allowed, CRFScores, Lattice, forbid, zero_scores
from ...ml.heads import Head, head_of
from ...ml.layers.crf_params import get_crf_params
from .tags import continuation_ids, labels_of, relabel_ids, tag_ids_to_offsets

# The scheme's (transition, start, end) masks, True where allowed.
Constraints = Allowed


def concat_rows(ops, scores: Sequence[Floats2d]) -> numpy.ndarray:
    """Non-empty score arrays -> their concatenation, (N, K) float32 numpy.

    Always on the host: the CRF recursions are many small steps over (B, K)
    slices, which a GPU runs no faster than numpy, so on a GPU only the
    (N, K) scores cross to the host (and their gradient back)."""
    return numpy.ascontiguousarray(ops.to_numpy(ops.asarray2f(ops.flatten(list(scores), pad=0))))


def crf_scores(model: Model, n_tags: int, constraints: Optional[Constraints]) -> CRFScores:
    """The model's transition, start and end scores (zeros for a softmax
    head), the forbidden ones at -inf."""
    if head_of(model) is Head.CRF:
        params = [model.ops.to_numpy(p) for p in get_crf_params(model.get_ref("crf"))]
    else:
        params = list(zero_scores(n_tags))
    return forbid(params, constraints)


def lattice_of(model: Model, scores: Sequence[Floats2d], lengths: numpy.ndarray,
               constraints: Optional[Constraints], temperature: float = 1.0) -> Lattice:
    """The CRF lattice of these docs' rows, cut into sequences of `lengths`
    (> 0): the emissions, or a softmax head's log-probabilities with no
    learned transitions (the tokens independent, under the constraints)."""
    flat = concat_rows(model.ops, [s for s in scores if len(s)])
    if head_of(model) is Head.SOFTMAX:
        # torch's float32 log, as decoding always took (numpy's differs in the last bit).
        flat = torch.log(torch.from_numpy(flat).clamp(min=1e-12)).numpy()
    return Lattice(flat, lengths, crf_scores(model, flat.shape[1], constraints), temperature=temperature)


class NBest(NamedTuple):
    """The k best valid analyses of one sequence, best first: (k', length)
    tag ids and (k',) exact probabilities; k' < k where fewer exist."""

    tag_ids: Ints2d
    probs: Floats1d


class Decoded(NamedTuple):
    """What `predict` hands to `set_annotations`, per doc: tag ids and, when
    asked for, the probability of each decoded entity (in entity order).

    Asked for with `n_best`, `uncertainty` or `alternatives`: per doc, one
    (start, end, item) piece per decoded sequence (`Pieces`) with the n best
    analyses (`NBest`) or (best-path probability, margin to the second,
    entropy in nats); and the (entities, labels) probabilities of each
    entity's span under each label.
    """

    tag_ids: List[Ints1d]
    entity_scores: Optional[List[Floats1d]]
    nbest: Optional[List] = None
    uncertainty: Optional[List] = None
    alternatives: Optional[List] = None


# One item per decoded sequence of a doc, with its token offsets in the doc.
Pieces = List[Tuple[int, int, Any]]


class Sequences(NamedTuple):
    """How a batch's docs are cut into the sequences the CRF decodes (their
    sentences, or each doc whole): the doc and the length of every sequence,
    in order. An empty doc is one empty sequence (it has one analysis, the
    empty one); sequences of length 0 are left out of the recursions."""

    doc: numpy.ndarray  # (S,) index of each sequence's doc
    lengths: numpy.ndarray  # (S,) its length
    starts: numpy.ndarray  # (S,) its first row in the concatenation of all docs' rows
    segments: List[List[int]]  # per doc, its sequences' lengths

    @classmethod
    def of(cls, scores: Sequence[Floats2d], segments: Optional[List[List[int]]]) -> "Sequences":
        if segments is None:
            segments = [[len(s)] for s in scores]
        assert [sum(sizes) for sizes in segments] == [len(s) for s in scores], "segments do not cover the rows"
        doc = numpy.repeat(numpy.arange(len(segments)), [len(sizes) for sizes in segments])
        lengths = numpy.asarray([size for sizes in segments for size in sizes], dtype="int64")
        return cls(doc, lengths, numpy.cumsum(lengths) - lengths, segments)

    @property
    def nonempty(self) -> numpy.ndarray:
        """Indices of the sequences of length > 0 (the rows of the recursions)."""
        return numpy.flatnonzero(self.lengths)

    def rows(self, j: int) -> slice:
        """Sequence j's rows in the concatenation of all docs' rows."""
        return slice(self.starts[j], self.starts[j] + self.lengths[j])

    def by_doc(self, array: numpy.ndarray) -> List[numpy.ndarray]:
        """An array over the concatenation of all docs' rows, cut per doc (views)."""
        bounds = numpy.cumsum([0] + [sum(sizes) for sizes in self.segments])
        return [array[bounds[i] : bounds[i + 1]] for i in range(len(self.segments))]

    def per_doc(self, items: Sequence[Any]) -> List[Pieces]:
        """Per-sequence items (in order) -> per doc, (start, end, item) pieces."""
        out, i = [], 0
        for sizes in self.segments:
            pieces, start = [], 0
            for size in sizes:
                pieces.append((start, start + size, items[i]))
                start += size
                i += 1
            out.append(pieces)
        return out


def chunks_by_words(docs: List[Doc], max_words: int) -> Iterator[List[Doc]]:
    """Consecutive runs of whole docs of at most `max_words` words each (a
    longer doc alone; 0: one run). Always at least one run, maybe empty."""
    if not max_words:
        yield docs
        return
    chunk: List[Doc] = []
    n_words = 0
    for doc in docs:
        if chunk and n_words + len(doc) > max_words:
            yield chunk
            chunk, n_words = [], 0
        chunk.append(doc)
        n_words += len(doc)
    yield chunk


def concat_decoded(parts: Sequence[Decoded]) -> Decoded:
    """The `Decoded` of consecutive chunks of docs as one: every field is a
    list per doc (or None in every part)."""
    fields = []
    for values in zip(*parts):
        fields.append(None if values[0] is None else [item for value in values for item in value])
    return Decoded(*fields)


def _doc_rows(values: numpy.ndarray, value_docs: numpy.ndarray, n_docs: int) -> List[numpy.ndarray]:
    """Rows of `values` grouped by their doc (in order), one array per doc."""
    bounds = numpy.searchsorted(value_docs, numpy.arange(n_docs + 1))
    return [values[bounds[i] : bounds[i + 1]] for i in range(n_docs)]


def decode(
    model: Model,
    scores: List[Floats2d],
    constraints: Optional[Constraints],
    *,
    segments: Optional[List[List[int]]] = None,
    entity_scores: Optional[Tuple[Sequence[str], str]] = None,
    temperature: float = 1.0,
    n_best: int = 1,
    uncertainty: bool = False,
    alternatives: bool = False,
) -> Decoded:
    """Best valid tag ids per doc (empty arrays for empty docs).

    segments: per doc, the lengths of the sequences its rows are decoded as
    (its sentences); default: each doc is one sequence. The docs' rows are
    concatenated once and every sequence decoded in place, so sentences
    cost no copies.

    entity_scores: (tags, scheme) to also compute each decoded entity's
    probability: for the CRF the exact marginal probability of that labelled
    span; for the softmax heads the same computation on log-probabilities
    with no learned transitions (the tokens treated as independent, under the
    scheme's constraints), an approximation. temperature divides every
    score for the probabilities only (temperature scaling, for calibration).

    n_best > 1, uncertainty, alternatives (the last needs entity_scores):
    see `Decoded`; they run the k-best decoder, whose first path is the
    Viterbi path. Everything comes from one lattice (`ml.crf.Lattice`).
    """
    seqs = Sequences.of(scores, segments)
    more = n_best > 1 or uncertainty or alternatives
    n_docs, n_seqs = len(scores), len(seqs.lengths)
    output: List[Ints1d] = [numpy.zeros((0,), dtype="int32") for _ in scores]
    probs = None if entity_scores is None else [numpy.zeros((0,), dtype="float32") for _ in scores]
    # An empty sequence has one analysis, the empty one, for sure.
    nbest = [NBest(numpy.zeros((1, 0), dtype="int32"), numpy.ones((1,), dtype="float32")) for _ in range(n_seqs)]
    unsure = [numpy.asarray([1.0, 1.0, 0.0], dtype="float32") for _ in range(n_seqs)]
    n_labels = len(labels_of(entity_scores[0])) if entity_scores is not None else 0
    alts = [numpy.zeros((0, n_labels), dtype="float32") for _ in scores]
    rows = seqs.nonempty
    if len(rows):
        lattice = lattice_of(model, scores, seqs.lengths[rows], constraints, temperature)
        if more:
            paths, path_scores = lattice.kbest(max(n_best, 2 if uncertainty else 1))
            best = paths[0]
        else:
            best, _ = lattice.viterbi()
        output = seqs.by_doc(best.astype("int32"))
        if n_best > 1 or uncertainty:
            log_p, entropy = lattice.path_log_probs(paths, path_scores > -numpy.inf, entropy=uncertainty)
            path_probs = numpy.exp(log_p).clip(max=1.0)
            for row, j in enumerate(rows):
                have = int((path_scores[row, :n_best] > -numpy.inf).sum())
                nbest[j] = NBest(paths[:have, seqs.rows(j)].astype("int32"), path_probs[row, :have].astype("float32"))
                if uncertainty:
                    p = path_probs[row]
                    unsure[j] = numpy.asarray([p[0], p[0] - p[1], entropy[row]], dtype="float32")
        if entity_scores is not None:
            span_seq, own, per_label = _entity_probs(lattice, best, seqs, *entity_scores, alternatives)
            span_docs = seqs.doc[rows][span_seq]
            probs = _doc_rows(own, span_docs, n_docs)
            alts = _doc_rows(per_label, span_docs, n_docs)
    return Decoded(
        output, probs, seqs.per_doc(nbest) if n_best > 1 else None,
        seqs.per_doc(unsure) if uncertainty else None,
        alts if alternatives and entity_scores is not None else None,
    )


def _entity_probs(
    lattice: Lattice, best: numpy.ndarray, seqs: Sequences, tags: Sequence[str], scheme: str, alternatives: bool,
) -> Tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """(S,) sequence (among the non-empty ones) of each decoded entity, (S,)
    its probability and (S, labels) the probability of its span under each
    label (if asked)."""
    spans = numpy.asarray(
        [(row, s, e) for row, j in enumerate(seqs.nonempty)
         for s, e, _ in tag_ids_to_offsets(best[seqs.rows(j)], tags, scheme)], dtype="int64",
    ).reshape(-1, 3)
    labels = labels_of(tags)
    alts = numpy.zeros((len(spans), len(labels) if alternatives else 0), dtype="float32")
    if not len(spans):
        return spans[:, 0], numpy.zeros((0,), "float32"), alts
    continuation = continuation_ids(tags, scheme)

    def probability(path: numpy.ndarray) -> numpy.ndarray:
        return numpy.exp(lattice.span_log_probs(path, spans, continuation)).clip(max=1.0).astype("float32")

    if alternatives:
        offsets = (numpy.cumsum(lattice.lengths) - lattice.lengths)[spans[:, 0]]
        inside = numpy.concatenate([numpy.arange(a, b) for a, b in zip(offsets + spans[:, 1], offsets + spans[:, 2])])
        for j, label in enumerate(labels):
            relabelled = best.copy()
            relabelled[inside] = relabel_ids(tags, label)[best[inside]]
            alts[:, j] = probability(relabelled)
    return spans[:, 0], probability(best), alts
