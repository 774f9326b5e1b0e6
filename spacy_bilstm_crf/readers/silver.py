"""A train-corpus reader that mixes gold examples with a teacher's silver ones.

Distillation: a student learns from gold data plus the annotations a better
teacher made of unlabelled text (a silver set: `spacy_bilstm_crf.silver`).
The reader takes a seeded share of the silver set, at most a given number of
silver examples per gold one, and checks that the silver speaks the student's
language: a teacher without one of the student's labels teaches "O" for its
entities, so a silver set made with other labels (or another tag scheme) is
refused, not mixed.

A silver sentence the teacher was unsure of (its best analysis less probable
than `min_sentence_prob`) is not cut out: its tokens' NER becomes missing
(ent_iob 0, "-" in BILUO), so the loss ignores them while the sentence still
gives the student's encoder its context. Only the silver is touched; gold
examples pass as spacy.Corpus.v1 yields them.

Order: with `shuffle = false` (for training.max_epochs >= 0: spaCy reads the
reader once and shuffles every epoch) every call yields the gold examples in
file order, then the chosen silver ones. With `shuffle = true` (for
max_epochs = -1: spaCy calls the reader every epoch and shuffles nothing) call
number k shuffles gold and silver together with (seed, k). Which silver docs
are used never changes between calls: it depends on the seed only, and the
50% share is part of the 100% one (curves over the share compare like with like).
"""
import random
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Callable, Iterable, Iterator, List, Optional, Set, Tuple

from spacy.language import Language
from spacy.training import Corpus, Example
from spacy.training.corpus import FILE_TYPE, walk_corpus
from spacy.util import registry
from wasabi import Printer

from ..errors import Errors
from ..silver.layout import mark_unsure_missing
from ..silver.manifest import MANIFEST_NAME, SilverManifest, read_manifest
from ..silver.shards import check_silver_set, read_silver_docs
from .common import is_int, pipeline_entity_labels, typed_by


@dataclass(frozen=True)
class SilverSettings:
    """The reader's settings, each declared once: the registered function's
    signature and the reader's attributes are made from these fields.

    path (Path): the gold DocBin data, as spacy.Corpus.v1's `path`.
    silver_path (Path): the silver set: a folder of DocBin shards and their
        manifest `silver.json`.
    silver_fraction (float): the share of the silver set's docs used, in
        [0, 1], a seeded sample (0: gold only, the baseline). Default 1.0.
    silver_per_gold (Optional[float]): at most this many silver examples per
        gold example (>= 0), after silver_fraction. Default None: no cap.
    min_sentence_prob (float): in [0, 1]; a silver sentence whose teacher
        best-analysis probability is below it gets missing NER annotation.
        > 0 needs a silver set with sentence probabilities. Default 0.0 (off).
    seed (int): seed of the silver sample and of the order. Default 0.
    shuffle (bool): false for training.max_epochs >= 0 (fixed order, spaCy
        shuffles); true for max_epochs = -1 (shuffled anew each call).
    gold_preproc, max_length, limit, augmenter: as in spacy.Corpus.v1;
        `limit` caps the gold examples only, the others apply to both.
    """

    path: Optional[Path]
    silver_path: Optional[Path]
    silver_fraction: float = 1.0
    silver_per_gold: Optional[float] = None
    min_sentence_prob: float = 0.0
    seed: int = 0
    shuffle: bool = False
    gold_preproc: bool = False
    max_length: int = 0
    limit: int = 0
    augmenter: Optional[Callable] = None

    def validate(self) -> "SilverSettings":
        """Raise ValueError on the first bad setting; return self. The silver
        set's manifest is read here too (its shards are checked by the reader)."""
        if self.path is None:
            raise ValueError(Errors.E101)
        if not walk_corpus(self.path, FILE_TYPE):
            raise ValueError(Errors.E234.format(path=self.path, problem=f"found no {FILE_TYPE} gold data"))
        if self.silver_path is None:
            raise ValueError(Errors.E229.format(what="silver_path", value=None,
                                                expected=f"a folder of silver shards with their {MANIFEST_NAME}"))
        _in_unit("silver_fraction", self.silver_fraction)
        _in_unit("min_sentence_prob", self.min_sentence_prob)
        if self.silver_per_gold is not None and not (_is_number(self.silver_per_gold) and self.silver_per_gold >= 0):
            raise ValueError(Errors.E229.format(what="silver_per_gold", expected="a number >= 0 or null",
                                                value=self.silver_per_gold))
        if not is_int(self.seed):
            raise ValueError(Errors.E229.format(what="seed", expected="an integer", value=self.seed))
        manifest = read_manifest(self.silver_path)
        if self.min_sentence_prob > 0 and not manifest.sentence_probabilities:
            raise ValueError(Errors.E230.format(value=self.min_sentence_prob, path=self.silver_path))
        return self


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _in_unit(name: str, value: object) -> None:
    if not (_is_number(value) and 0.0 <= value <= 1.0):  # type: ignore[operator]
        raise ValueError(Errors.E229.format(what=name, expected="a number in [0, 1]", value=value))


@dataclass(frozen=True)
class SilverStats:
    """What one call yielded."""

    n_gold: int
    n_silver_available: int
    n_silver_docs: int
    n_silver_examples: int
    n_unsure_sentences: int
    n_missing_tokens: int


def create_silver_corpus(**settings) -> Callable[[Language], Iterable[Example]]:
    """Read gold DocBin data like spacy.Corpus.v1 and mix in a teacher's silver set.

    Takes the settings of SilverSettings, keyword-only (documented there); the
    signature spaCy's registry validates the config against is made from that
    dataclass's fields (below)."""
    checked = SilverSettings(**settings).validate()
    return SilverCorpus(**{f.name: getattr(checked, f.name) for f in fields(checked)})


registry.readers("spacy-bilstm-crf.SilverCorpus.v1")(typed_by(SilverSettings, create_silver_corpus))


class SilverCorpus:
    """Yield gold examples and a seeded share of a silver set's (see the
    module docstring). Takes the settings of SilverSettings as keywords; they
    become attributes of the same names. `last_stats` holds the SilverStats
    of the last call; a summary is printed once per distinct mix and process."""

    _printed: Set[str] = set()

    def __init__(self, path: Path, silver_path: Path, **settings) -> None:
        self.settings = SilverSettings(path=path, silver_path=silver_path, **settings)
        for f in fields(self.settings):
            setattr(self, f.name, getattr(self.settings, f.name))
        self.gold = Corpus(path, gold_preproc=self.gold_preproc, max_length=self.max_length, limit=self.limit)
        # Makes examples of the silver docs as spacy.Corpus.v1 would (max_length, gold_preproc).
        self._maker = Corpus(silver_path, gold_preproc=self.gold_preproc, max_length=self.max_length)
        self.manifest: SilverManifest = check_silver_set(silver_path)
        self.n_calls = 0
        self.last_stats: Optional[SilverStats] = None

    def __call__(self, nlp: Language) -> Iterator[Example]:
        call = self.n_calls
        self.n_calls += 1
        gold = list(self.gold(nlp))
        if not gold:
            raise ValueError(Errors.E235.format(path=self.path))
        self._check_labels(nlp, gold)
        docs, n_unsure, n_missing = self._silver_docs(nlp, len(gold))
        if self.gold_preproc:
            silver = list(self._maker.make_examples_gold_preproc(nlp, docs))
        else:
            silver = list(self._maker.make_examples(nlp, docs))
        stream = gold + silver
        if self.shuffle:
            random.Random(f"{self.seed}:order:{call}").shuffle(stream)
        self.last_stats = SilverStats(
            n_gold=len(gold), n_silver_available=self.manifest.counts.docs, n_silver_docs=len(docs),
            n_silver_examples=len(silver), n_unsure_sentences=n_unsure, n_missing_tokens=n_missing,
        )
        self._report(self.last_stats)
        for eg in stream:
            yield from self.augmenter(nlp, eg) if self.augmenter is not None else (eg,)

    def _silver_docs(self, nlp: Language, n_gold: int) -> Tuple[list, int, int]:
        """The chosen silver docs, in sample order, with the unsure sentences
        made missing; and how many sentences and tokens that touched."""
        n_total = self.manifest.counts.docs
        order = list(range(n_total))
        random.Random(f"{self.seed}:sample").shuffle(order)
        n_used = round(self.silver_fraction * n_total)
        if self.silver_per_gold is not None:
            n_used = min(n_used, int(self.silver_per_gold * n_gold))
        chosen = {i: rank for rank, i in enumerate(order[:n_used])}
        docs: List = [None] * n_used
        n_unsure = n_missing = 0
        number = 0
        for path, index, doc in read_silver_docs(self.silver_path, self.manifest, nlp.vocab):
            rank = chosen.get(number)
            number += 1
            if rank is None:
                continue
            if self.min_sentence_prob > 0:
                sents, tokens = mark_unsure_missing(doc, self.min_sentence_prob, path=path, index=index)
                n_unsure += sents
                n_missing += tokens
            docs[rank] = doc
        return docs, n_unsure, n_missing

    def _check_labels(self, nlp: Language, gold: List[Example]) -> None:
        """The silver's labels must be the student's (its NER's labels once
        known, else those listed in [initialize.components], else the gold
        data's), and its tag scheme the student's."""
        labels, schemes = _student_ner(nlp)
        against = "student's NER"
        if not labels:
            labels = _configured_labels(nlp)
            against = "student's [initialize.components] labels"
        if not labels:
            labels = {ent.label_ for eg in gold for ent in eg.reference.ents}
            against = f"gold corpus {self.path} (the student has no labels yet)"
        silver = set(self.manifest.labels)
        if silver != labels:
            raise ValueError(Errors.E231.format(
                path=self.silver_path / MANIFEST_NAME, silver=sorted(silver), against=against,
                student=sorted(labels), extra=sorted(silver - labels) or "none",
                missing=sorted(labels - silver) or "none",
            ))
        for name, scheme in schemes:
            if self.manifest.tag_scheme is not None and scheme != self.manifest.tag_scheme:
                raise ValueError(Errors.E232.format(path=self.silver_path / MANIFEST_NAME, name=name,
                                                    silver=self.manifest.tag_scheme, student=scheme))

    def _report(self, stats: SilverStats) -> None:
        summary = (
            f"{stats.n_gold} gold examples + {stats.n_silver_examples} silver ones "
            f"(from {stats.n_silver_docs} of {stats.n_silver_available} silver docs)"
        )
        if self.min_sentence_prob > 0:
            summary += (f"; {stats.n_unsure_sentences} unsure sentences "
                        f"({stats.n_missing_tokens} tokens) made missing below p = {self.min_sentence_prob}")
        key = repr((str(self.path), str(self.silver_path), self.seed, summary))
        if key in SilverCorpus._printed:
            return
        SilverCorpus._printed.add(key)
        Printer().info(f"Silver corpus {self.silver_path}: {summary}")


def _student_ner(nlp: Language) -> Tuple[Set[str], List[Tuple[str, str]]]:
    """The labels of the pipeline's components that set doc.ents (empty
    before initialisation), and (name, tag scheme) of those that have one."""
    schemes = []
    for name, pipe in nlp.pipeline:
        scheme = getattr(pipe, "tag_scheme", None)
        if "doc.ents" in nlp.get_pipe_meta(name).assigns and isinstance(scheme, str):
            schemes.append((name, scheme))
    return pipeline_entity_labels(nlp), schemes


def _configured_labels(nlp: Language) -> Set[str]:
    """Labels given as a plain list in [initialize.components.<ner>.labels]
    (spaCy calls the reader before a component has set them)."""
    settings = nlp.config.get("initialize", {}).get("components", {}) or {}
    labels: Set[str] = set()
    for name in nlp.pipe_names:
        given = (settings.get(name) or {}).get("labels")
        if "doc.ents" in nlp.get_pipe_meta(name).assigns and isinstance(given, list):
            labels.update(str(label) for label in given)
    return labels
