"""A trained pipeline (the teacher) annotates pre-tokenized sentences into
silver docs (their layout: `silver.layout`).

The teacher's NER is the last enabled component that sets doc.ents. When it is
a `bilstm_crf_ner` component, each sentence gets the probability of the
teacher's best analysis and each entity its probability; any other NER
(spaCy's `ner`, an `entity_ruler`) gives hard labels only.
"""
import hashlib
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

from spacy.language import Language
from spacy.tokens import Doc, Span, SpanGroup

from ..errors import Errors
from .layout import ENTITIES_KEY, set_sentence_probabilities

FACTORY = "bilstm_crf_ner"
# Where the teacher puts its scores while annotating, when its own config has no spans_key.
TEACHER_SPANS_KEY = "silver_teacher_scores"


@dataclass(frozen=True)
class Teacher:
    """The teacher's NER: its name, the component, and whether it is ours
    (so that it has probabilities)."""

    name: str
    component: Any
    ours: bool

    @property
    def labels(self) -> Tuple[str, ...]:
        return tuple(str(label) for label in getattr(self.component, "labels", ()))

    @property
    def tag_scheme(self) -> Optional[str]:
        """Our component's tag scheme; None for an NER without one we can name."""
        return self.component.tag_scheme if self.ours else None


def find_teacher(nlp: Language) -> Teacher:
    """The last enabled component that sets doc.ents (what the silver's
    entities come from); E227 if there is none."""
    setters = [name for name in nlp.pipe_names if "doc.ents" in nlp.get_pipe_meta(name).assigns]
    if not setters:
        raise ValueError(Errors.E227.format(names=", ".join(nlp.pipe_names) or "(none)"))
    name = setters[-1]
    return Teacher(name, nlp.get_pipe(name), nlp.get_pipe_meta(name).factory == FACTORY)


def teacher_fingerprint(nlp: Language) -> str:
    """SHA-256 of the serialized pipeline: the same weights, config and
    vectors give the same string, any change another. The string store is
    left out: it grows with every text the pipeline has seen (a probe, an
    earlier batch), which changes nothing the teacher knows. Stable within a
    process; for a saved teacher use `saved_teacher_fingerprint`."""
    return "sha256:" + hashlib.sha256(nlp.to_bytes(exclude=["strings"])).hexdigest()


def saved_teacher_fingerprint(path: Union[str, Path]) -> str:
    """The fingerprint of a teacher saved in the directory `path`: SHA-256
    over its files' names and contents, the digest `annotate` binds its
    checkpoint to. What the commands write: unlike `teacher_fingerprint`, it
    is the same in every process (a pipeline's bytes are not: the
    sentencizer writes its set of punctuation in hash order)."""
    from ..annotate.checkpoint import fingerprint_model  # here: annotate imports this module

    return "sha256:" + fingerprint_model(Path(path))


def sentence_docs(nlp: Language, sentences: Iterable[Sequence[str]], sentences_per_doc: int) -> Iterator[Doc]:
    """Pre-tokenized sentences (lists of words) grouped `sentences_per_doc` to
    a doc, with their boundaries set: the teacher sees a little context, and
    the silver keeps the source's tokens."""
    if isinstance(sentences_per_doc, bool) or not isinstance(sentences_per_doc, int) or sentences_per_doc < 1:
        raise ValueError(Errors.E229.format(what="sentences_per_doc", expected="an integer >= 1",
                                            value=sentences_per_doc))
    iterator = iter(sentences)
    number = 0
    while True:
        group = list(islice(iterator, sentences_per_doc))
        if not group:
            return
        words: List[str] = []
        starts: List[bool] = []
        for sentence in group:
            number += 1
            sentence = list(sentence)
            if not sentence or not all(isinstance(w, str) and w and not w.isspace() for w in sentence):
                raise ValueError(Errors.E229.format(what=f"sentence {number}", value=sentence,
                                                   expected="a non-empty list of non-blank words"))
            words.extend(sentence)
            starts.extend([True] + [False] * (len(sentence) - 1))
        yield Doc(nlp.vocab, words=words, sent_starts=starts)


def annotate_sentences(
    nlp: Language, sentences: Iterable[Sequence[str]], *, sentences_per_doc: int = 3, batch_size: int = 64
) -> Iterator[Doc]:
    """Silver docs: the sentences, `sentences_per_doc` to a doc, with the
    teacher's entities in doc.ents and, for our component, the per-sentence
    and per-entity probabilities (see `silver.layout`). Each silver doc holds
    only these: the teacher's other output (tags, its span groups) is not
    part of the silver."""
    teacher = find_teacher(nlp)
    docs = sentence_docs(nlp, sentences, sentences_per_doc)
    with scores_switched_on(teacher):
        for doc in nlp.pipe(docs, batch_size=batch_size):
            yield silver_doc(doc, teacher)


@contextmanager
def scores_switched_on(teacher: Teacher) -> Iterator[None]:
    """Our component computes the sentences' best-analysis probabilities only
    with `uncertainty` on and a `spans_key`: settings of use, not of the
    trained model, switched on for the annotation and restored after."""
    if not teacher.ours:
        yield
        return
    pipe = teacher.component
    saved = (pipe.uncertainty, pipe.spans_key)
    pipe.uncertainty = True
    pipe.spans_key = pipe.spans_key or TEACHER_SPANS_KEY
    try:
        yield
    finally:
        pipe.uncertainty, pipe.spans_key = saved


def silver_doc(doc: Doc, teacher: Teacher) -> Doc:
    """A fresh doc with the words, spaces and sentence boundaries of `doc`,
    the teacher's entities and (our component) its probabilities."""
    starts = [bool(t.is_sent_start) for t in doc] if doc.has_annotation("SENT_START") else None
    out = Doc(doc.vocab, words=[t.text for t in doc], spaces=[bool(t.whitespace_) for t in doc],
              sent_starts=starts)
    out.set_ents([Span(out, e.start, e.end, label=e.label_) for e in doc.ents], default="outside")
    if teacher.ours:
        scored = doc.spans[teacher.component.spans_key]
        sequences = scored.attrs["uncertainty"]["sequences"]
        sents = list(out.sents) if starts is not None else [out[:]]
        if [(s["start"], s["end"]) for s in sequences] != [(s.start, s.end) for s in sents]:
            raise ValueError(Errors.E228.format(name=teacher.name, n_seq=len(sequences), n_sents=len(sents)))
        set_sentence_probabilities(out, [s["best_probability"] for s in sequences])
        out.spans[ENTITIES_KEY] = SpanGroup(
            out, name=ENTITIES_KEY, spans=[Span(out, e.start, e.end, label=e.label_) for e in scored],
            attrs={"scores": [float(p) for p in scored.attrs["scores"]]},
        )
    return out
