"""Where the component puts the n best analyses, the label alternatives and
the uncertainty: span groups and their attrs, spaCy's place for scored spans
(like `spancat`'s attrs["scores"]). They serialize with the doc (DocBin,
`Doc.to_bytes`, `nlp.pipe(n_process=...)`) and need no registered extension.

A decoded *sequence* is a sentence when the model works per sentence (and
the doc has boundaries), else the whole doc. Sequences are independent under
the model, so doc-level values follow exactly from the sequences' values.
"""
from math import prod
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy
from spacy.tokens import Doc, Span, SpanGroup

from ...errors import Errors
from .decoding import NBest, Pieces
from .tags import tag_ids_to_offsets

# The k-best decoding keeps (k, sequences, length) tables and runs k rounds:
# its time and memory grow with n_best, so n_best is bounded.
MAX_N_BEST = 100


def check_analysis_settings(n_best: Any, uncertain_below: Optional[float] = None) -> None:
    """The one check of the analysis settings, shared by the component
    (`n_best`) and `annotate` (`--n-best`, `--uncertain-below`): ValueError
    with the bound in the message."""
    if isinstance(n_best, bool) or not isinstance(n_best, int) or n_best < 1:
        raise ValueError(Errors.E040.format(n_best=n_best))
    if n_best > MAX_N_BEST:
        raise ValueError(Errors.E316.format(n_best=n_best, max=MAX_N_BEST))
    if uncertain_below is not None and (
        isinstance(uncertain_below, bool) or not isinstance(uncertain_below, (int, float))
        or not 0.0 < uncertain_below <= 1.0
    ):
        raise ValueError(Errors.E043.format(value=uncertain_below))


def set_nbest_groups(doc: Doc, key: str, n_best: int, pieces: Pieces, tags: Sequence[str], scheme: str) -> None:
    """doc.spans[f"{key}_{r}"]: the entities of every sequence's r-th best
    analysis, attrs["probabilities"]: that analysis's probability per
    sequence (None where the sequence has fewer than r + 1 valid analyses:
    it adds no span), attrs["sequences"]: the sequences' [start, end) token
    offsets. f"{key}_0" holds the entities the component decodes."""
    sequences = [[start, end] for start, end, _ in pieces]
    for r in range(n_best):
        spans, probs = [], []
        for start, _, nbest in pieces:
            nbest: NBest
            if r < len(nbest.probs):
                probs.append(float(nbest.probs[r]))
                for s, e, label in tag_ids_to_offsets(nbest.tag_ids[r], tags, scheme):
                    spans.append(Span(doc, start + s, start + e, label=label))
            else:
                probs.append(None)
        name = f"{key}_{r}"
        doc.spans[name] = SpanGroup(doc, name=name, spans=spans,
                                    attrs={"probabilities": probs, "sequences": sequences})


def label_alternatives(labels: Sequence[str], probs: numpy.ndarray) -> List[Dict[str, float]]:
    """Per entity, {label: P(the same span with that label)}, most probable
    first. What is left to 1 is the probability that the span is no entity."""
    out = []
    for row in probs:
        order = numpy.argsort(-row, kind="stable")
        out.append({labels[j]: round(float(row[j]), 6) for j in order})
    return out


def uncertainty_attrs(doc: Doc, pieces: Pieces) -> Dict[str, Any]:
    """Per sequence and for the doc: the probability of the best analysis,
    its margin over the second best, and the entropy (nats) of the
    distribution over analyses. Sequences are independent, so the doc's best
    analysis is the sequences' best ones (probabilities multiply), its
    second best changes the one sequence whose ratio second / best is
    largest, and entropies add."""
    sequences = []
    for start, end, (best, margin, entropy) in pieces:
        sequences.append({"start": start, "end": end, "best_probability": float(best),
                          "margin": float(margin), "entropy": float(entropy)})
    best_doc = prod(s["best_probability"] for s in sequences)
    ratios = [(s["best_probability"] - s["margin"]) / s["best_probability"]
              for s in sequences if s["best_probability"] > 0]
    second_doc = best_doc * max(ratios, default=0.0)
    return {
        "best_probability": best_doc,
        "margin": best_doc - second_doc,
        "entropy": sum(s["entropy"] for s in sequences),
        "sequences": sequences,
    }
