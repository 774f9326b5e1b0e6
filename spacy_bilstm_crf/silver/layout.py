"""Where a silver doc keeps what its teacher knew, and how an unsure sentence
becomes missing annotation.

A silver doc is the source's tokens (pre-tokenized, `Doc(words=...)`), its
sentence boundaries (SENT_START) and the teacher's entities in `doc.ents`.
A teacher that is a `bilstm_crf_ner` component adds two span groups (spaCy's
place for scored spans; DocBin keeps them and their attrs, no extension needed):

* `doc.spans["silver_sentences"]`: one span per sentence, in order, with
  attrs["probabilities"]: the probability of the teacher's best analysis of
  each sentence (the CRF's exact path probability, or the softmax tagger's
  best valid path).
* `doc.spans["silver_entities"]`: the entities of that best analysis with
  attrs["scores"]: each entity's marginal probability (doc.ents may hold fewer
  of them when the teacher had a `threshold`).
"""
import math
from typing import List, Optional, Sequence, Tuple

from spacy.tokens import Doc, Span, SpanGroup

from ..errors import Errors

SENTENCES_KEY = "silver_sentences"
ENTITIES_KEY = "silver_entities"


def set_sentence_probabilities(doc: Doc, probabilities: Sequence[float]) -> None:
    """Put one probability per sentence of `doc` in doc.spans[SENTENCES_KEY]."""
    sents = list(doc.sents) if doc.has_annotation("SENT_START") else [doc[:]]
    if len(sents) != len(probabilities):
        problem = f"has {len(sents)} sentences but {len(probabilities)} probabilities were given"
        raise ValueError(Errors.E233.format(path="(teacher output)", doc=0, problem=problem))
    doc.spans[SENTENCES_KEY] = SpanGroup(
        doc, name=SENTENCES_KEY, spans=[Span(doc, s.start, s.end) for s in sents],
        attrs={"probabilities": [float(p) for p in probabilities]},
    )


def sentence_probabilities(doc: Doc, *, path: str = "(in memory)", index: int = 0
                           ) -> Optional[List[Tuple[int, int, float]]]:
    """(start, end, probability) per sentence, or None if the doc has no
    probabilities. A malformed group (the sentences must tile the doc, each
    probability be in [0, 1]) raises E233 naming `path` and the doc's `index`."""
    if SENTENCES_KEY not in doc.spans:
        return None
    problem = _malformed(doc)
    if problem is not None:
        raise ValueError(Errors.E233.format(path=path, doc=index, problem=problem))
    group = doc.spans[SENTENCES_KEY]
    return [(span.start, span.end, float(p)) for span, p in zip(group, group.attrs["probabilities"])]


def _malformed(doc: Doc) -> Optional[str]:
    """What is wrong with the doc's sentence group, or None."""
    group = doc.spans[SENTENCES_KEY]
    probs = group.attrs.get("probabilities")
    if not isinstance(probs, list) or len(probs) != len(group):
        return (
            f"has {len(group)} sentence spans in doc.spans['{SENTENCES_KEY}'] but attrs['probabilities'] "
            f"is not a list of as many numbers"
        )
    position = 0
    for span, p in zip(group, probs):
        if span.start != position:
            return f"has sentence spans in doc.spans['{SENTENCES_KEY}'] that do not tile the doc (token {position})"
        if isinstance(p, bool) or not isinstance(p, (int, float)) or math.isnan(p) or not 0.0 <= p <= 1.0:
            return f"has a sentence probability {p!r}, expected a number in [0, 1]"
        position = span.end
    if position != len(doc):
        return f"has sentence spans in doc.spans['{SENTENCES_KEY}'] that end at token {position} of {len(doc)}"
    return None


def mark_unsure_missing(doc: Doc, min_prob: float, *, path: str = "(in memory)", index: int = 0
                        ) -> Tuple[int, int]:
    """Set the NER annotation of every sentence whose probability is below
    `min_prob` to missing (ent_iob 0, "-" in BILUO), so a loss ignores its
    tokens; the other sentences and the doc itself stay whole. An entity that
    reaches into such a sentence becomes missing too. Returns (sentences,
    tokens) made missing. The doc must carry probabilities (else E233)."""
    sentences = sentence_probabilities(doc, path=path, index=index)
    if sentences is None:
        problem = f"has no doc.spans['{SENTENCES_KEY}'] (the teacher's sentence probabilities)"
        raise ValueError(Errors.E233.format(path=path, doc=index, problem=problem))
    unsure = [(start, end) for start, end, p in sentences if p < min_prob]
    if not unsure:
        return 0, 0
    flags = [False] * len(doc)
    for start, end in unsure:
        flags[start:end] = [True] * (end - start)
    kept, dropped = [], []
    for ent in doc.ents:
        (dropped if any(flags[ent.start:ent.end]) else kept).append(ent)
    for ent in dropped:
        flags[ent.start:ent.end] = [True] * (ent.end - ent.start)
    missing, i = [], 0
    while i < len(doc):
        if flags[i]:
            j = i
            while j < len(doc) and flags[j]:
                j += 1
            missing.append(Span(doc, i, j))
            i = j
        else:
            i += 1
    doc.set_ents(kept, missing=missing, default="unmodified")
    return len(unsure), sum(flags)
