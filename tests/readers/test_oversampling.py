"""Tests for spacy-bilstm-crf.OversamplingCorpus.v1 on tiny DocBin fixtures."""
import math
import warnings
from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc, DocBin
from spacy.training import Corpus, Example
from spacy.util import registry

from spacy_bilstm_crf.readers.oversampling import (
    OversamplingCorpus,
    create_oversampling_corpus,
    plan_copies,
)

READER = "spacy-bilstm-crf.OversamplingCorpus.v1"
CITIES = ["Paris", "London", "Berlin", "Rome", "Oslo", "Madrid", "Vienna", "Prague"]
NAMES = ["Anna", "Bob", "Carl", "Dora", "Emil", "Fay"]


def _docs(nlp: Language) -> List[Doc]:
    """GEO frequent, PER medium, NAT and ART rare; NAT and ART co-occur with GEO."""
    docs = []
    for i in range(40):
        city = CITIES[i % len(CITIES)]
        if i % 4 == 0:
            other = CITIES[(i + 3) % len(CITIES)]
            docs.append(Doc(nlp.vocab, words=["From", city, "to", other, str(i), "."],
                            ents=["O", "B-GEO", "O", "B-GEO", "O", "O"]))
        else:
            docs.append(Doc(nlp.vocab, words=["I", "went", "to", city, str(i), "."],
                            ents=["O", "O", "O", "B-GEO", "O", "O"]))
    for i in range(12):
        a, b = NAMES[i % len(NAMES)], NAMES[(i + 1) % len(NAMES)]
        docs.append(Doc(nlp.vocab, words=[a, "met", b, "Smith", "in", CITIES[i % 8], str(i), "."],
                        ents=["B-PER", "O", "B-PER", "I-PER", "O", "B-GEO", "O", "O"]))
    for i, nat in enumerate(["French", "Danes", "Greeks"]):
        docs.append(Doc(nlp.vocab, words=["The", nat, "are", "here", str(i), "."],
                        ents=["O", "B-NAT", "O", "O", "O", "O"]))
    docs.append(Doc(nlp.vocab, words=["The", "Dutch", "visited", "Oslo", "and", "Rome", "."],
                    ents=["O", "B-NAT", "O", "B-GEO", "O", "B-GEO", "O"]))
    for i in range(2):
        docs.append(Doc(nlp.vocab, words=["Mona", "Lisa", "hangs", "in", "Paris", str(i), "."],
                        ents=["B-ART", "I-ART", "O", "O", "B-GEO", "O", "O"]))
    for i in range(5):
        docs.append(Doc(nlp.vocab, words=["Nothing", "happened", "today", str(i), "."]))
    return docs


@pytest.fixture
def nlp() -> Language:
    return spacy.blank("en")


@pytest.fixture
def train_path(tmp_path: Path, nlp: Language) -> Path:
    path = tmp_path / "oversample_train.spacy"
    DocBin(docs=_docs(nlp)).to_disk(path)
    return path


def _make(path: Path, **kwargs) -> OversamplingCorpus:
    return create_oversampling_corpus(path=path, **kwargs)


def _signature(egs: List[Example]) -> List[Tuple[str, Tuple[Tuple[int, int, str], ...]]]:
    return [(eg.reference.text, tuple((e.start, e.end, e.label_) for e in eg.reference.ents)) for eg in egs]


def _type_counts(egs: List[Example]) -> Counter:
    return Counter(ent.label_ for eg in egs for ent in eg.reference.ents)


def _check_promises(reader: OversamplingCorpus, stream: List[Example], label: str) -> Dict[str, int]:
    """The reader's promises as inequalities, on the stream it actually yielded."""
    stats = reader.last_stats
    assert stats is not None
    plain = list(reader.corpus(spacy.blank("en")))
    before, after = _type_counts(plain), _type_counts(stream)
    assert dict(after) == {t: n for t, n in stats.after.items() if n}
    assert dict(before) == {t: n for t, n in stats.before.items() if n}
    assert len(stream) == stats.total == len(plain) + stats.n_copies
    # No type falls.
    for t in before:
        assert after[t] >= before[t]
    # Every targeted type reaches its target, or all of its examples hit the cap.
    holders = Counter()
    for eg in stream:
        labels = {e.label_ for e in eg.reference.ents}
        for t in labels:
            holders[(t, eg.reference.text)] += 1
    for t, target in stats.targets.items():
        print(f"[{label}] {t}: before {before[t]} target {target} achieved {after[t]}")
        if after[t] < target:
            assert t in stats.capped
            occurrences = [n for (lab, _), n in holders.items() if lab == t]
            assert occurrences and all(n == reader.max_copies + 1 for n in occurrences)
        else:
            assert t not in stats.capped
    return dict(after)


def test_registered_name_and_entry_point():
    assert registry.readers.get(READER) is create_oversampling_corpus
    from importlib.metadata import entry_points

    eps = {ep.name: ep.value for ep in entry_points(group="spacy_readers")}
    assert eps[READER] == "spacy_bilstm_crf.readers.oversampling:create_oversampling_corpus"


def test_config_resolves(train_path: Path):
    cfg = {"train": {"@readers": READER, "path": str(train_path), "target_share": 0.5, "seed": 3}}
    reader = registry.resolve(cfg)["train"]
    assert isinstance(reader, OversamplingCorpus)
    assert reader.target_share == 0.5 and reader.seed == 3 and reader.shuffle is False


def test_target_share_promises(train_path: Path, nlp: Language):
    reader = _make(train_path, target_share=0.5, max_copies=20)
    stream = list(reader(nlp))
    stats = reader.last_stats
    max_count = max(stats.before.values())
    assert stats.targets == {t: max(math.ceil(0.5 * max_count), n) for t, n in stats.before.items()}
    after = _check_promises(reader, stream, "share 0.5")
    assert after["NAT"] >= stats.targets["NAT"] and after["ART"] >= stats.targets["ART"]
    # Whole examples are repeated: GEO co-occurs with NAT and ART, so it rises too.
    assert after["GEO"] > stats.before["GEO"]
    # Types above their target still get nothing removed, and no new type appears.
    assert set(after) == {t for t, n in stats.before.items() if n}


def test_copies_are_whole_examples(train_path: Path, nlp: Language):
    reader = _make(train_path, target_share=0.3)
    stream = list(reader(nlp))
    originals = set(_signature(list(Corpus(train_path)(nlp))))
    assert set(_signature(stream)) == originals
    assert reader.last_stats.n_copies > 0
    # Copies are distinct objects, so in-place changes to one do not leak into another.
    assert len({id(eg) for eg in stream}) == len(stream)


def test_temperature_promises(train_path: Path, nlp: Language):
    reader = _make(train_path, strategy="temperature", temperature=2.0, max_copies=20)
    stream = list(reader(nlp))
    stats = reader.last_stats
    max_count = max(stats.before.values())
    for t, n in stats.before.items():
        # Temperature 2 is sqrt smoothing: target = sqrt(n * max_count).
        assert stats.targets[t] == math.ceil(math.sqrt(n * max_count) - 1e-9)
    _check_promises(reader, stream, "temperature 2")
    assert not stats.capped


def test_copy_cap_binds(train_path: Path, nlp: Language):
    reader = _make(train_path, target_share=1.0, max_copies=2)
    stream = list(reader(nlp))
    stats = reader.last_stats
    after = _check_promises(reader, stream, "cap 2")
    assert "NAT" in stats.capped and "ART" in stats.capped
    # NAT: 4 entities in 4 examples, each repeated twice more.
    assert after["NAT"] == 3 * stats.before["NAT"]
    assert after["ART"] == 3 * stats.before["ART"]


def test_types_restricts_targets(train_path: Path, nlp: Language):
    reader = _make(train_path, target_share=0.5, types=["NAT"])
    stream = list(reader(nlp))
    stats = reader.last_stats
    assert set(stats.targets) == {"NAT"}
    after = _check_promises(reader, stream, "types NAT")
    assert after["ART"] == stats.before["ART"]


def test_originals_first_in_file_order(train_path: Path, nlp: Language):
    plain = _signature(list(Corpus(train_path)(nlp)))
    reader = _make(train_path, target_share=0.5)
    stream = _signature(list(reader(nlp)))
    assert stream[: len(plain)] == plain
    assert len(stream) > len(plain)


def test_same_seed_same_stream(train_path: Path, nlp: Language):
    def stream(seed: int, shuffle: bool, calls: int = 1):
        reader = _make(train_path, target_share=0.35, seed=seed, shuffle=shuffle, unshuffled_head=5)
        return [_signature(list(reader(nlp))) for _ in range(calls)]

    assert stream(0, False) == stream(0, False)
    assert stream(0, False) != stream(1, False)
    assert stream(0, True, calls=3) == stream(0, True, calls=3)
    assert stream(0, True) != stream(1, True)


def test_fixed_mode_repeats_one_resampling(train_path: Path, nlp: Language):
    reader = _make(train_path, target_share=0.35, seed=7)
    first, second = _signature(list(reader(nlp))), _signature(list(reader(nlp)))
    assert first == second


def test_shuffle_mode_resamples_each_call(train_path: Path, nlp: Language):
    plain = _signature(list(Corpus(train_path)(nlp)))
    reader = _make(train_path, target_share=0.35, shuffle=True, unshuffled_head=10)
    streams = []
    for _ in range(3):
        egs = list(reader(nlp))
        _check_promises(reader, egs, "shuffle")
        streams.append(_signature(egs))
    assert reader.n_calls == 3
    for s in streams:
        # The head is the plain corpus' head, so spaCy's streamed init sample is unbiased.
        assert s[:10] == plain[:10]
        # The rest is shuffled: originals no longer come first.
        assert s[: len(plain)] != plain
        assert Counter(s) != Counter(plain)
    assert streams[0] != streams[1] != streams[2]


def test_streamed_init_sample_has_no_copies(train_path: Path, nlp: Language):
    from itertools import islice

    plain = _signature(list(Corpus(train_path)(nlp)))
    assert len(plain) < 100
    # The default head is spaCy's sample size (100): a corpus this small comes whole, in order.
    reader = _make(train_path, target_share=1.0, shuffle=True)
    for _ in range(3):
        assert _signature(list(islice(reader(nlp), 100)))[: len(plain)] == plain
    reader = _make(train_path, target_share=1.0, shuffle=True, unshuffled_head=20)
    for _ in range(3):
        assert _signature(list(islice(reader(nlp), 20))) == plain[:20]


def test_absent_types_reported_not_invented(train_path: Path, nlp: Language, capsys):
    ner = nlp.add_pipe("ner")
    for label in ["GEO", "PER", "NAT", "ART", "EVE"]:
        ner.add_label(label)
    reader = _make(train_path, target_share=0.5)
    stream = list(reader(nlp))
    stats = reader.last_stats
    assert stats.absent == ("EVE",)
    assert stats.before["EVE"] == 0 and stats.after["EVE"] == 0
    assert "EVE" not in stats.targets
    assert _type_counts(stream)["EVE"] == 0
    out = capsys.readouterr().out
    assert "EVE" in out and "absent" in out


def test_table_printed_once_per_resampling(train_path: Path, nlp: Language, capsys):
    reader = _make(train_path, target_share=0.5)
    list(reader(nlp))
    out = capsys.readouterr().out
    for token in ["Type", "Before", "Target", "After", "NAT", "GEO", "examples repeated"]:
        assert token in out
    list(reader(nlp))
    assert capsys.readouterr().out == ""


def test_warns_when_streamed_without_shuffle(train_path: Path):
    nlp = spacy.blank("en", config={"training": {"max_epochs": -1}})
    with pytest.warns(UserWarning, match="W101"):
        list(_make(train_path)(nlp))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        list(_make(train_path, shuffle=True)(nlp))


def test_limit_and_max_length_pass_through(train_path: Path, nlp: Language):
    reader = _make(train_path, limit=10, target_share=1.0)
    stream = list(reader(nlp))
    assert reader.last_stats.n_examples == 10
    assert _signature(stream[:10]) == _signature(list(Corpus(train_path, limit=10)(nlp)))
    assert set(reader.last_stats.before) == {"GEO"}


def test_directory_path(tmp_path: Path, nlp: Language):
    docs = _docs(nlp)
    folder = tmp_path / "oversample_dir"
    folder.mkdir()
    DocBin(docs=docs[:30]).to_disk(folder / "a.spacy")
    DocBin(docs=docs[30:]).to_disk(folder / "b.spacy")
    reader = _make(folder, target_share=0.5)
    stream = list(reader(nlp))
    assert _signature(stream[: len(docs)]) == _signature(list(Corpus(folder)(nlp)))
    _check_promises(reader, stream, "dir")


@pytest.mark.parametrize(
    "kwargs,code",
    [
        ({"target_share": 1.5}, "E104"),
        ({"target_share": 0.0}, "E104"),
        ({"max_copies": 0}, "E106"),
        ({"temperature": 0.5}, "E105"),
        ({"strategy": "class_weights"}, "E103"),
        ({"types": []}, "E108"),
        ({"unshuffled_head": -1}, "E107"),
    ],
)
def test_bad_settings(train_path: Path, kwargs: Dict, code: str):
    with pytest.raises(ValueError, match=code):
        _make(train_path, **kwargs)


def test_path_without_docbins(tmp_path: Path):
    empty = tmp_path / "oversample_empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no data here")
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="E102"):
        _make(empty)
    with pytest.raises(ValueError, match="E101"):
        _make(None)


def test_unknown_type(train_path: Path, nlp: Language):
    reader = _make(train_path, types=["NAT", "FOOD"])
    with pytest.raises(ValueError, match=r"E109.*FOOD.*ART, GEO, NAT, PER"):
        list(reader(nlp))


def test_target_for_type_with_zero_entities(train_path: Path, nlp: Language):
    nlp.add_pipe("ner").add_label("EVE")
    reader = _make(train_path, types=["EVE"])
    with pytest.raises(ValueError, match=r"E110.*EVE"):
        list(reader(nlp))


def test_plan_copies_inequalities_random():
    """Many random corpora: targets met or cap reached, and copies never exceed the cap."""
    import random

    labels = ["A", "B", "C", "D"]
    for trial in range(50):
        rng = random.Random(trial)
        counts = []
        for _ in range(rng.randint(5, 60)):
            c = Counter()
            for label, p in zip(labels, [0.8, 0.3, 0.05, 0.02]):
                if rng.random() < p:
                    c[label] = rng.randint(1, 3)
            counts.append(c)
        before = Counter()
        for c in counts:
            before.update(c)
        top = max(before.values())
        targets = {t: max(math.ceil(0.4 * top), n) for t, n in before.items()}
        max_copies = rng.randint(1, 6)
        copies = plan_copies(counts, targets, max_copies=max_copies, rng=random.Random(0))
        assert all(0 <= n <= max_copies for n in copies)
        after = Counter()
        for c, n in zip(counts, copies):
            for t, k in c.items():
                after[t] += k * (n + 1)
        for t, target in targets.items():
            assert after[t] >= before[t]
            if after[t] < target:
                assert all(copies[i] == max_copies for i, c in enumerate(counts) if c.get(t))


TRAIN_CFG = """
[paths]
train = null
dev = null

[system]
seed = 0
gpu_allocator = null

[nlp]
lang = "en"
pipeline = ["tok2vec","ner"]
batch_size = 64

[components]

[components.tok2vec]
factory = "tok2vec"

[components.tok2vec.model]
@architectures = "spacy.Tok2Vec.v2"

[components.tok2vec.model.embed]
@architectures = "spacy.MultiHashEmbed.v2"
width = 16
attrs = ["NORM", "SHAPE"]
rows = [200, 50]
include_static_vectors = false

[components.tok2vec.model.encode]
@architectures = "spacy.MaxoutWindowEncoder.v2"
width = 16
depth = 1
window_size = 1
maxout_pieces = 2

[components.ner]
factory = "ner"

[components.ner.model]
@architectures = "spacy.TransitionBasedParser.v2"
state_type = "ner"
hidden_width = 16
maxout_pieces = 2
use_upper = true
nO = null

[components.ner.model.tok2vec]
@architectures = "spacy.Tok2VecListener.v1"
width = 16
upstream = "*"

[corpora]

[corpora.train]
@readers = "spacy-bilstm-crf.OversamplingCorpus.v1"
path = ${paths.train}
strategy = "temperature"
temperature = 2.0
max_copies = 5
seed = ${system.seed}
shuffle = false

[corpora.dev]
@readers = "spacy.Corpus.v1"
path = ${paths.dev}

[training]
seed = ${system.seed}
max_epochs = 0
max_steps = 8
eval_frequency = 4
dropout = 0.1

[training.batcher]
@batchers = "spacy.batch_by_words.v1"
size = 200
tolerance = 0.2

[initialize]
"""


@pytest.mark.timeout(120)
@pytest.mark.parametrize("max_epochs,shuffle", [(0, False), (-1, True)])
def test_spacy_train_end_to_end(tmp_path: Path, train_path: Path, max_epochs: int, shuffle: bool, capsys):
    from spacy.cli.init_config import fill_config
    from spacy.cli.train import train

    base_path = tmp_path / "oversample_e2e_base.cfg"
    base_path.write_text(TRAIN_CFG)
    config_path = tmp_path / "oversample_e2e.cfg"
    fill_config(config_path, base_path, silent=True)
    output = tmp_path / "oversample_out"
    overrides = {
        "paths.train": str(train_path),
        "paths.dev": str(train_path),
        "training.max_epochs": max_epochs,
        "corpora.train.shuffle": shuffle,
    }
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=r".*W101")
        train(config_path, output, overrides=overrides)
    out = capsys.readouterr().out
    assert "Oversampling" in out and "examples repeated" in out
    nlp = spacy.load(output / "model-last")
    assert set(nlp.get_pipe("ner").labels) == {"GEO", "PER", "NAT", "ART"}
    assert "ents_f" in nlp.meta["performance"]
    assert nlp("The Danes visited Rome .") is not None
