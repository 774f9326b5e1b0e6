"""A train-corpus reader that repeats whole examples containing rare entity types.

spaCy's NER has no class weights; the usual advice is to upsample the rare
classes. This reader does it in the data pipeline, so it works for any NER
component (ours or spaCy's). Whole examples are repeated (an entity cannot be
copied without its sentence), so types that co-occur with rare ones rise too:
the promises are inequalities, "every rare type reaches its target or the copy
cap, no type falls", never exact shares.

Which training mode the reader serves is an explicit option, `shuffle`:

* `shuffle = false` (for `training.max_epochs >= 0`): spaCy reads the reader
  once into a list and shuffles that list every epoch. Every call yields the
  same stream: the original examples in file order, then the copies.
* `shuffle = true` (for `training.max_epochs = -1`): spaCy calls the reader
  once per epoch and shuffles nothing. Call number k draws a fresh resampling
  from `(seed, k)` and shuffles it, except for the first `unshuffled_head`
  originals, which come first in file order.

Both ways, the stream starts with original examples in file order, so the
sample `nlp.initialize` takes (all of it, or the first 100 examples when
streaming) is the one `spacy.Corpus.v1` would give: unbiased by the copies.
"""
import math
import random
import warnings
from collections import Counter
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

from spacy.language import Language
from spacy.training import Corpus, Example
from spacy.training.corpus import FILE_TYPE, walk_corpus
from spacy.util import registry
from wasabi import Printer

from ..errors import Errors, Warnings
from .common import is_int, pipeline_entity_labels, typed_by

STRATEGIES = ("target_share", "temperature")
# spaCy's initialisation sample when training.max_epochs = -1 (spacy/training/initialize.py).
SPACY_STREAMED_INIT_SAMPLE = 100


@dataclass(frozen=True)
class OversamplingSettings:
    """The reader's settings, each declared once: the registered function's
    signature and the reader's attributes are made from these fields.

    path, gold_preproc, max_length, limit, augmenter: as in spacy.Corpus.v1.
    strategy (str): how per-type targets are set. "target_share": every type is
        brought up to `target_share` x the most frequent type's count.
        "temperature": target = max_count * (count / max_count) ** (1 / temperature),
        i.e. temperature-smoothed type frequencies (2.0 = sqrt smoothing).
    target_share (float): in (0, 1]; used by "target_share". Default 0.1.
    temperature (float): >= 1; used by "temperature". Default 2.0.
    types (Optional[List[str]]): only these types get targets (others may still
        rise through co-occurrence). Default None: all types in the data.
    max_copies (int): cap on extra copies of one example (>= 1). Default 10.
    seed (int): seed of the choice of examples to repeat and of the order. Default 0.
    shuffle (bool): false for training.max_epochs >= 0 (one fixed resampling,
        spaCy shuffles); true for max_epochs = -1 (resample and shuffle each call).
    unshuffled_head (int): with shuffle = true, this many originals come first in
        file order, so spaCy's streamed initialisation sample (the first 100
        examples) has no copies. Default 100.
    """

    path: Optional[Path]
    gold_preproc: bool = False
    max_length: int = 0
    limit: int = 0
    augmenter: Optional[Callable] = None
    strategy: str = "target_share"
    target_share: float = 0.1
    temperature: float = 2.0
    types: Optional[List[str]] = None
    max_copies: int = 10
    seed: int = 0
    shuffle: bool = False
    unshuffled_head: int = SPACY_STREAMED_INIT_SAMPLE

    def validate(self) -> "OversamplingSettings":
        """Raise ValueError on the first bad setting (the registered reader
        checks them all before building anything); return self."""
        if self.path is None:
            raise ValueError(Errors.E101)
        if self.strategy not in STRATEGIES:
            raise ValueError(Errors.E103.format(strategy=self.strategy, choices=", ".join(STRATEGIES)))
        if not (0.0 < self.target_share <= 1.0):
            raise ValueError(Errors.E104.format(value=self.target_share))
        if not self.temperature >= 1.0:
            raise ValueError(Errors.E105.format(value=self.temperature))
        if not is_int(self.max_copies) or self.max_copies < 1:
            raise ValueError(Errors.E106.format(value=self.max_copies))
        if not is_int(self.unshuffled_head) or self.unshuffled_head < 0:
            raise ValueError(Errors.E107.format(value=self.unshuffled_head))
        if self.types is not None and len(self.types) == 0:
            raise ValueError(Errors.E108)
        if not walk_corpus(self.path, FILE_TYPE):
            raise ValueError(Errors.E102.format(file_type=FILE_TYPE, path=self.path))
        return self


@dataclass(frozen=True)
class OversamplingStats:
    """What one resampling did; `after` counts the entities of the stream actually yielded."""

    before: Dict[str, int]
    after: Dict[str, int]
    targets: Dict[str, int]
    capped: Tuple[str, ...]
    absent: Tuple[str, ...]
    n_examples: int
    n_repeated: int
    n_copies: int

    @property
    def total(self) -> int:
        return self.n_examples + self.n_copies


def create_oversampling_corpus(**settings) -> Callable[[Language], Iterable[Example]]:
    """Read DocBin training data like spacy.Corpus.v1 and repeat examples with rare entity types.

    Takes the settings of OversamplingSettings, keyword-only (documented there);
    the signature that spaCy's registry validates the config against is made
    from that dataclass's fields (below).
    """
    checked = OversamplingSettings(**settings).validate()
    return OversamplingCorpus(**{f.name: getattr(checked, f.name) for f in fields(checked)})


registry.readers("spacy-bilstm-crf.OversamplingCorpus.v1")(typed_by(OversamplingSettings, create_oversampling_corpus))


class OversamplingCorpus:
    """Wrap spaCy's Corpus; yield its examples, then copies of those with rare types.

    Takes `path` and the other settings of OversamplingSettings (as keywords),
    which become attributes of the same names. After each call `last_stats`
    holds the OversamplingStats of that call's resampling. A table is printed
    once per distinct resampling and process, not per call: spaCy's
    initialisation calls the reader several times, and `spacy train` builds one
    reader for initialisation and one for training.
    """

    _printed: Set[str] = set()

    def __init__(self, path: Path, **settings) -> None:
        self.settings = OversamplingSettings(path=path, **settings)
        for f in fields(self.settings):
            setattr(self, f.name, getattr(self.settings, f.name))
        self.types = list(dict.fromkeys(self.types)) if self.types is not None else None
        self.corpus = Corpus(
            path,
            gold_preproc=self.gold_preproc,
            max_length=self.max_length,
            limit=self.limit,
            augmenter=self.augmenter,
        )
        self.n_calls = 0
        self.last_stats: Optional[OversamplingStats] = None

    def __call__(self, nlp: Language) -> Iterator[Example]:
        call = self.n_calls
        self.n_calls += 1
        if not self.shuffle and nlp.config.get("training", {}).get("max_epochs") == -1:
            warnings.warn(Warnings.W101.format())
        examples = list(self.corpus(nlp))
        if not examples:
            raise ValueError(Errors.E111.format(path=self.path))
        # Fixed mode: one resampling for every call. Streamed mode: a new one per call (epoch).
        rng = random.Random(f"{self.seed}:{call if self.shuffle else 0}")
        counts = [Counter(ent.label_ for ent in eg.reference.ents) for eg in examples]
        before: Counter = Counter()
        for c in counts:
            before.update(c)
        pipe_labels = pipeline_entity_labels(nlp)
        selected = self._check_types(before, pipe_labels)
        targets = self._targets(before, selected)
        copies = plan_copies(counts, targets, max_copies=self.max_copies, rng=rng)
        copy_ids = [i for i, n in enumerate(copies) for _ in range(n)]
        if not self.shuffle:
            rng.shuffle(copy_ids)
            order = [(i, False) for i in range(len(examples))] + [(i, True) for i in copy_ids]
        else:
            head = min(self.unshuffled_head, len(examples))
            rest = [(i, False) for i in range(head, len(examples))] + [(i, True) for i in copy_ids]
            rng.shuffle(rest)
            order = [(i, False) for i in range(head)] + rest
        after: Counter = Counter()
        for i, n in enumerate(copies):
            for label, k in counts[i].items():
                after[label] += k * (n + 1)
        labels = sorted(set(before) | pipe_labels)
        stats = OversamplingStats(
            before={t: before.get(t, 0) for t in labels},
            after={t: after.get(t, 0) for t in labels},
            targets=targets,
            capped=tuple(t for t in sorted(targets) if after[t] < targets[t]),
            absent=tuple(t for t in labels if before.get(t, 0) == 0),
            n_examples=len(examples),
            n_repeated=sum(1 for n in copies if n),
            n_copies=len(copy_ids),
        )
        self.last_stats = stats
        self._report(stats)
        for i, is_copy in order:
            yield examples[i].copy() if is_copy else examples[i]

    def _check_types(self, before: Counter, pipe_labels: Set[str]) -> List[str]:
        """The types that get targets; reject names the data cannot satisfy."""
        if self.types is None:
            return sorted(before)
        found = ", ".join(sorted(before)) or "(none)"
        for label in self.types:
            if before.get(label, 0) > 0:
                continue
            if label in pipe_labels:
                raise ValueError(Errors.E110.format(label=label, path=self.path))
            raise ValueError(Errors.E109.format(label=label, path=self.path, found=found))
        return list(self.types)

    def _targets(self, before: Counter, selected: Iterable[str]) -> Dict[str, int]:
        """Per-type entity-count targets; a type already at its target keeps its count."""
        if not before:
            return {}
        max_count = max(before.values())
        targets = {}
        for label in selected:
            n = before[label]
            if self.strategy == "target_share":
                goal = math.ceil(self.target_share * max_count - 1e-9)
            else:
                goal = math.ceil(max_count * (n / max_count) ** (1.0 / self.temperature) - 1e-9)
            targets[label] = max(goal, n)
        return targets

    def _report(self, stats: OversamplingStats) -> None:
        header = ("Type", "Before", "Target", "After", "x")
        rows = []
        for label in sorted(stats.before, key=lambda t: (-stats.before[t], t)):
            n_before, n_after = stats.before[label], stats.after[label]
            target = stats.targets.get(label)
            rows.append(
                (
                    label,
                    n_before,
                    "absent" if n_before == 0 else ("-" if target is None else target),
                    n_after,
                    f"{n_after / n_before:.2f}" if n_before else "-",
                )
            )
        summary = (
            f"{stats.n_repeated} of {stats.n_examples} examples repeated, "
            f"{stats.n_copies} copies added: {stats.total} examples"
            + (" per epoch" if self.shuffle else "")
        )
        key = repr((str(self.path), self.strategy, self.seed, rows, summary))
        if key in OversamplingCorpus._printed:
            return
        OversamplingCorpus._printed.add(key)
        msg = Printer()
        msg.divider(f"Oversampling {self.path} ({self.strategy}, seed {self.seed})")
        msg.table(rows, header=header, divider=True, aligns=("l", "r", "r", "r", "r"))
        msg.info(summary)
        if stats.capped:
            details = ", ".join(f"{t} {stats.after[t]} < {stats.targets[t]}" for t in stats.capped)
            msg.warn(f"max_copies = {self.max_copies} stopped these types short of their target: {details}")
        if stats.absent:
            msg.warn(f"Pipeline labels with no entities in the data (not oversampled): {', '.join(stats.absent)}")


def plan_copies(
    counts: Sequence[Dict[str, int]],
    targets: Dict[str, int],
    *,
    max_copies: int,
    rng: random.Random,
) -> List[int]:
    """Extra copies per example so that each type reaches its target or the cap.

    Rarest type first (its copies also lift the types it co-occurs with). Copies
    go round-robin over the type's examples in a seeded random order, so they
    spread over many sentences instead of piling up on a few.
    """
    copies = [0] * len(counts)
    current: Counter = Counter()
    for c in counts:
        current.update(c)
    holders: Dict[str, List[int]] = {label: [] for label in targets}
    for i, c in enumerate(counts):
        for label in c:
            if label in holders:
                holders[label].append(i)
    for label in sorted(targets, key=lambda t: (current[t], t)):
        goal = targets[label]
        candidates = holders[label]
        rng.shuffle(candidates)
        while current[label] < goal:
            progressed = False
            for i in candidates:
                if copies[i] >= max_copies:
                    continue
                copies[i] += 1
                current.update(counts[i])
                progressed = True
                if current[label] >= goal:
                    break
            if not progressed:
                break
    return copies
