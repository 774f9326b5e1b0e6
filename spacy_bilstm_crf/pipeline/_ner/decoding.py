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

from ...ml.crf import apply_constraints, forward_backward, span_log_probs, span_log_probs_given, viterbi_packed
from ...ml.heads import Head, head_of
from ...ml.kbest import kbest_viterbi_packed, path_log_probs
from ...ml.layers.crf_params import get_crf_params
from ...ml.packing import pack_layout
from .tags import continuation_ids, labels_of, relabel_ids, tag_ids_to_offsets

Constraints = Tuple[torch.Tensor, torch.Tensor, torch.Tensor]


def flat_scores(ops, scores: Sequence[Floats2d], *, requires_grad: bool = False) -> Tuple[torch.Tensor, torch.Tensor]:
    """Non-empty score arrays -> their concatenation as an (N, K) tensor (the
    leaf to read gradients from) and the (B,) lengths.

    Always a CPU tensor: the CRF recursions are many small steps over (B, K)
    slices, which a GPU runs no faster than numpy, so on a GPU only the
    (N, K) scores cross to the host (and their gradient back)."""
    lengths = torch.tensor([len(s) for s in scores], dtype=torch.int64)
    flat = _cpu_tensor(ops, ops.asarray2f(ops.flatten(list(scores), pad=0)), requires_grad)
    return flat, lengths


def _cpu_tensor(ops, array, requires_grad: bool) -> torch.Tensor:
    """A thinc array (numpy or cupy) as a CPU tensor; numpy's memory is shared, not copied."""
    return torch.from_numpy(numpy.ascontiguousarray(ops.to_numpy(array))).requires_grad_(requires_grad)


def transition_scores(
    model: Model, n_tags: int, constraints: Optional[Constraints], *, requires_grad: bool = False
) -> Tuple[Tuple[torch.Tensor, ...], Tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """(leaf parameter tensors, constrained transition/start/end scores)."""
    if head_of(model) is Head.CRF:
        leaves = tuple(_cpu_tensor(model.ops, p, requires_grad) for p in get_crf_params(model.get_ref("crf")))
    else:
        leaves = (torch.zeros((n_tags, n_tags)), torch.zeros((n_tags,)), torch.zeros((n_tags,)))
    return leaves, apply_constraints(*leaves, constraints)


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
    see `Decoded`; they run the k-best decoder (`kbest`), whose first path
    is the Viterbi path, and one forward-backward over every sequence.
    """
    seqs = Sequences.of(scores, segments)
    if n_best > 1 or uncertainty or alternatives:
        return _decode_more(
            model, scores, seqs, constraints, entity_scores=entity_scores, temperature=temperature,
            n_best=n_best, uncertainty=uncertainty, alternatives=alternatives,
        )
    output: List[Ints1d] = [numpy.zeros((0,), dtype="int32") for _ in scores]
    probs: Optional[List[Floats1d]] = None
    if entity_scores is not None:
        probs = [numpy.zeros((0,), dtype="float32") for _ in scores]
    rows = seqs.nonempty
    if not len(rows):
        return Decoded(output, probs)
    with torch.inference_mode():
        flat, lengths = _flat_sequences(model, scores, seqs)
        _, (trans, start, end) = transition_scores(model, flat.shape[1], constraints)
        tags_t, _ = viterbi_packed(flat, pack_layout(lengths), trans, start, end)
        tags_np = tags_t.numpy().astype("int32")
        output = seqs.by_doc(tags_np)
        if probs is not None:
            tags, scheme = entity_scores
            spans = [
                (row, s, e)
                for row, j in enumerate(rows)
                for s, e, _ in tag_ids_to_offsets(tags_np[seqs.rows(j)], tags, scheme)
            ]
            span_t = torch.tensor(spans, dtype=torch.int64).reshape(-1, 3)
            continuation = torch.from_numpy(continuation_ids(tags, scheme))
            t = temperature
            log_p = span_log_probs(flat / t, lengths, trans / t, start / t, end / t, tags_t, span_t, continuation)
            values = log_p.exp().clamp(max=1.0).numpy().astype("float32")
            probs = _doc_rows(values, seqs.doc[rows][span_t[:, 0].numpy()], len(scores))
    return Decoded(output, probs)


def _flat_sequences(model: Model, scores: List[Floats2d], seqs: Sequences) -> Tuple[torch.Tensor, torch.Tensor]:
    """The docs' rows concatenated as one (N, K) tensor (log-probabilities for
    a softmax head) and the (B,) lengths of its non-empty sequences."""
    flat, _ = flat_scores(model.ops, [s for s in scores if len(s)])
    if head_of(model) is Head.SOFTMAX:
        flat = torch.log(flat.clamp(min=1e-12))
    return flat, torch.from_numpy(seqs.lengths[seqs.nonempty])


def _decode_more(
    model: Model,
    scores: List[Floats2d],
    seqs: Sequences,
    constraints: Optional[Constraints],
    *,
    entity_scores: Optional[Tuple[Sequence[str], str]],
    temperature: float,
    n_best: int,
    uncertainty: bool,
    alternatives: bool,
) -> Decoded:
    """`decode` with the n best analyses, the uncertainty and the label
    alternatives: one k-best pass, one forward-backward for all of them."""
    k = max(n_best, 2 if uncertainty else 1)
    n_labels = len(labels_of(entity_scores[0])) if entity_scores is not None else 0
    n_docs, n_seqs = len(scores), len(seqs.lengths)
    output: List[Ints1d] = [numpy.zeros((0,), dtype="int32") for _ in scores]
    probs = None if entity_scores is None else [numpy.zeros((0,), dtype="float32") for _ in scores]
    # An empty sequence has one analysis, the empty one, for sure.
    nbest = [NBest(numpy.zeros((1, 0), dtype="int32"), numpy.ones((1,), dtype="float32")) for _ in range(n_seqs)]
    unsure = [numpy.asarray([1.0, 1.0, 0.0], dtype="float32") for _ in range(n_seqs)]
    alts = [numpy.zeros((0, n_labels), dtype="float32") for _ in scores]
    rows = seqs.nonempty
    if len(rows):
        with torch.inference_mode():
            flat, lengths = _flat_sequences(model, scores, seqs)
            _, (trans, start, end) = transition_scores(model, flat.shape[1], constraints)
            packing = pack_layout(lengths)
            paths, path_scores = kbest_viterbi_packed(flat, packing, trans, start, end, k, allowed=constraints)
            t = temperature
            scaled = (flat.double() / t, trans.double() / t, start.double() / t, end.double() / t)
            # Marginals for the entities and the entropy; log Z alone otherwise.
            fb = forward_backward(scaled[0], packing, *scaled[1:]) if uncertainty or entity_scores else None
            stats = path_log_probs(*scaled[:1], packing, *scaled[1:], paths, path_scores > -numpy.inf,
                                   entropy=uncertainty, fb=fb)
            best = paths[0].astype("int32")
            output = seqs.by_doc(best)
            path_probs = numpy.exp(stats.log_probs).clip(max=1.0)
            for row, j in enumerate(rows):
                have = int((path_scores[row, :n_best] > -numpy.inf).sum())
                nbest[j] = NBest(
                    paths[:have, seqs.rows(j)].astype("int32"),
                    path_probs[row, :have].astype("float32"),
                )
                if uncertainty:
                    p = path_probs[row]
                    unsure[j] = numpy.asarray([p[0], p[0] - p[1], stats.entropy[row]], dtype="float32")
            if entity_scores is not None:
                tags, scheme = entity_scores
                sequence_paths = [best[seqs.rows(j)] for j in rows]
                per_span = _entity_probs(
                    scaled, lengths, torch.from_numpy(paths[0]), sequence_paths, tags, scheme, fb, alternatives,
                )
                span_docs = seqs.doc[rows][per_span[0]]
                probs = _doc_rows(per_span[1], span_docs, n_docs)
                alts = _doc_rows(per_span[2], span_docs, n_docs)
    return Decoded(
        output, probs, seqs.per_doc(nbest) if n_best > 1 else None,
        seqs.per_doc(unsure) if uncertainty else None,
        alts if alternatives and entity_scores is not None else None,
    )


def _entity_probs(
    scaled: Tuple[torch.Tensor, ...],
    lengths: torch.Tensor,
    tags_t: torch.Tensor,
    paths: List[Ints1d],
    tags: Sequence[str],
    scheme: str,
    fb: Tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    alternatives: bool,
) -> Tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """(S,) sequence of each decoded entity, (S,) its probability and
    (S, labels) the probability of its span under each label (if asked)."""
    flat, trans = scaled[0], scaled[1]
    spans = [(row, s, e) for row, path in enumerate(paths) for s, e, _ in tag_ids_to_offsets(path, tags, scheme)]
    labels = labels_of(tags)
    span_t = torch.tensor(spans, dtype=torch.int64).reshape(-1, 3)
    if not spans:
        return numpy.zeros((0,), dtype="int64"), numpy.zeros((0,), "float32"), numpy.zeros((0, len(labels)), "float32")
    continuation = torch.from_numpy(continuation_ids(tags, scheme))
    own = span_log_probs_given(flat, lengths, trans, tags_t, span_t, continuation, fb)
    out = own.exp().clamp(max=1.0).numpy().astype("float32")
    alts = numpy.zeros((len(spans), len(labels) if alternatives else 0), dtype="float32")
    if alternatives:
        offsets = numpy.cumsum([0] + lengths.tolist())[span_t[:, 0].numpy()]
        first, stop = offsets + span_t[:, 1].numpy(), offsets + span_t[:, 2].numpy()
        inside = numpy.concatenate([numpy.arange(a, b) for a, b in zip(first, stop)])
        for j, label in enumerate(labels):
            relabelled = tags_t.clone()
            relabelled[inside] = torch.from_numpy(relabel_ids(tags, label))[tags_t[inside]]
            log_p = span_log_probs_given(flat, lengths, trans, relabelled, span_t, continuation, fb)
            alts[:, j] = log_p.exp().clamp(max=1.0).numpy()
    return span_t[:, 0].numpy(), out, alts
