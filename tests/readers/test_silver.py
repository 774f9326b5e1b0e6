"""Tests for spacy-bilstm-crf.SilverCorpus.v1: gold + a teacher's silver, mixed and filtered as configured."""
from pathlib import Path
from typing import List

import pytest
import spacy
from spacy.cli.debug_config import debug_config
from spacy.cli.init_config import fill_config
from spacy.cli.train import train
from spacy.language import Language
from spacy.tokens import Doc, DocBin, Span
from spacy.training import Example
from spacy.util import registry
from thinc.api import Config

from helpers.ner import tiny_model_config
from spacy_bilstm_crf.readers.silver import SilverCorpus, create_silver_corpus
from spacy_bilstm_crf.silver.layout import sentence_probabilities, set_sentence_probabilities
from spacy_bilstm_crf.silver.manifest import MANIFEST_NAME
from spacy_bilstm_crf.silver.shards import write_silver_set
from spacy_bilstm_crf.silver.teacher import annotate_sentences, find_teacher, teacher_fingerprint

READER = "spacy-bilstm-crf.SilverCorpus.v1"
NAMES = ["Anna", "Bob", "Carl", "Dora", "Emil"]
N_GOLD, N_SILVER = 10, 20


def _gold_docs(nlp: Language) -> List[Doc]:
    docs = []
    for i in range(N_GOLD):
        docs.append(Doc(nlp.vocab, words=[NAMES[i % 5], "visited", "Rome", str(i), "."],
                        ents=["B-PER", "O", "B-LOC", "O", "O"]))
    return docs


def _silver_docs(nlp: Language, labels=("LOC", "PER")) -> List[Doc]:
    """Silver doc i: two sentences; the second one's probability is i / 20."""
    docs = []
    for i in range(N_SILVER):
        doc = Doc(nlp.vocab, words=["Paris", "is", "big", ".", NAMES[i % 5], "came", str(i), "."],
                  sent_starts=[1, 0, 0, 0, 1, 0, 0, 0])
        doc.set_ents([Span(doc, 0, 1, labels[0]), Span(doc, 4, 5, labels[-1])])
        set_sentence_probabilities(doc, [0.99, i / N_SILVER])
        docs.append(doc)
    return docs


@pytest.fixture
def nlp() -> Language:
    return spacy.blank("en")


@pytest.fixture
def gold_path(tmp_path: Path, nlp: Language) -> Path:
    path = tmp_path / "gold.spacy"
    DocBin(docs=_gold_docs(nlp)).to_disk(path)
    return path


@pytest.fixture
def silver_path(tmp_path: Path, nlp: Language) -> Path:
    path = tmp_path / "silver"
    write_silver_set(_silver_docs(nlp), path, teacher="t", labels=["LOC", "PER"], tag_scheme="BILUO", shard_size=7)
    return path


def _make(gold: Path, silver: Path, **kwargs) -> SilverCorpus:
    return create_silver_corpus(path=gold, silver_path=silver, **kwargs)


def _texts(egs: List[Example]) -> List[str]:
    return [eg.reference.text for eg in egs]


def _is_silver(eg: Example) -> bool:
    return eg.reference[0].text == "Paris"


def test_registered_name_and_config_resolves(gold_path: Path, silver_path: Path):
    assert registry.readers.get(READER) is create_silver_corpus
    cfg = {"train": {"@readers": READER, "path": str(gold_path), "silver_path": str(silver_path),
                     "silver_fraction": 0.5, "min_sentence_prob": 0.3, "seed": 4}}
    reader = registry.resolve(cfg)["train"]
    assert isinstance(reader, SilverCorpus)
    assert (reader.silver_fraction, reader.min_sentence_prob, reader.seed, reader.shuffle) == (0.5, 0.3, 4, False)


@pytest.mark.parametrize(
    "settings,n_silver",
    [({}, 20), ({"silver_fraction": 0.5}, 10), ({"silver_fraction": 0.0}, 0),
     ({"silver_per_gold": 1.0}, 10), ({"silver_fraction": 0.5, "silver_per_gold": 0.3}, 3),
     ({"silver_per_gold": 5.0}, 20)],
)
def test_mixes_as_configured(gold_path: Path, silver_path: Path, nlp: Language, settings, n_silver: int):
    reader = _make(gold_path, silver_path, **settings)
    stream = list(reader(nlp))
    assert len(stream) == N_GOLD + n_silver
    # Gold first, in file order, whole; then the silver.
    assert _texts(stream[:N_GOLD]) == [d.text for d in _gold_docs(nlp)]
    assert all(_is_silver(eg) for eg in stream[N_GOLD:])
    assert len(set(_texts(stream[N_GOLD:]))) == n_silver
    stats = reader.last_stats
    assert (stats.n_gold, stats.n_silver_docs, stats.n_silver_available) == (N_GOLD, n_silver, N_SILVER)
    # Without a threshold nothing is made missing.
    assert all(t.ent_iob != 0 for eg in stream for t in eg.reference)


def test_deterministic_for_a_seed(gold_path: Path, silver_path: Path, nlp: Language):
    def run(**kwargs) -> List[str]:
        return _texts(list(_make(gold_path, silver_path, **kwargs)(nlp)))

    assert run(seed=1, silver_fraction=0.5) == run(seed=1, silver_fraction=0.5)
    assert run(seed=1, silver_fraction=0.5) != run(seed=2, silver_fraction=0.5)
    # The 50% sample is the first half of the 100% one: a curve over the share compares like with like.
    assert run(seed=1, silver_fraction=0.5)[N_GOLD:] == run(seed=1)[N_GOLD:N_GOLD + 10]
    # Streamed mode: gold and silver shuffled together, anew each call, the same for the same seed.
    a, b = _make(gold_path, silver_path, seed=3, shuffle=True), _make(gold_path, silver_path, seed=3, shuffle=True)
    first, second = _texts(list(a(nlp))), _texts(list(a(nlp)))
    assert first == _texts(list(b(nlp))) and second == _texts(list(b(nlp)))
    assert first != second and sorted(first) == sorted(second) == sorted(run(seed=3))
    assert not all(not _is_silver(eg) for eg in list(a(nlp))[:N_GOLD])


def test_unsure_sentences_become_missing(gold_path: Path, silver_path: Path, nlp: Language):
    reader = _make(gold_path, silver_path, min_sentence_prob=0.5)
    stream = list(reader(nlp))
    silver = [eg for eg in stream if _is_silver(eg)]
    assert len(silver) == N_SILVER  # docs are kept whole, not cut
    stats = reader.last_stats
    # Second sentences with i / 20 < 0.5: i = 0..9.
    assert (stats.n_unsure_sentences, stats.n_missing_tokens) == (10, 40)
    for eg in silver:
        i = int(eg.reference[6].text)
        first = [t.ent_iob for t in eg.reference[:4]]
        second = [t.ent_iob for t in eg.reference[4:]]
        assert first == [3, 2, 2, 2]
        assert second == ([0, 0, 0, 0] if i < 10 else [3, 2, 2, 2])
        ner = eg.get_aligned_ner()
        assert ner[:4] == ["U-LOC", "O", "O", "O"]
        assert ner[4:] == ([None] * 4 if i < 10 else ["U-PER", "O", "O", "O"])
    # Gold is never touched.
    assert all(t.ent_iob != 0 for eg in stream if not _is_silver(eg) for t in eg.reference)


def test_refuses_silver_with_other_labels(gold_path: Path, tmp_path: Path, nlp: Language):
    other = tmp_path / "other"
    write_silver_set(_silver_docs(nlp, labels=("LOC", "ORG")), other, teacher="t", labels=["LOC", "ORG"],
                     tag_scheme="BILUO")
    manifest = str(other / MANIFEST_NAME)
    # Against the gold labels while the student has none yet...
    with pytest.raises(ValueError, match=r"\[E231\] .*" + manifest + r".* labels \['LOC', 'ORG'\] but the gold corpus"):
        list(_make(gold_path, other)(nlp))
    # ...and against the student's own labels once it has them.
    ner = nlp.add_pipe("bilstm_crf_ner")
    for label in ("LOC", "PER"):
        ner.add_label(label)
    with pytest.raises(ValueError, match=r"\[E231\] .*student's NER has labels \['LOC', 'PER'\] .*only in the "
                                         r"silver: \['ORG'\]; missing from the silver: \['PER'\]"):
        list(_make(gold_path, other)(nlp))


def test_refuses_silver_with_labels_the_student_lacks(gold_path: Path, silver_path: Path, nlp: Language):
    ner = nlp.add_pipe("bilstm_crf_ner")
    for label in ("LOC", "PER", "ORG"):
        ner.add_label(label)
    with pytest.raises(ValueError, match=r"\[E231\] .*missing from the silver: \['ORG'\]"):
        list(_make(gold_path, silver_path)(nlp))


def test_labels_listed_for_initialization_are_the_students(gold_path: Path, silver_path: Path):
    """spaCy calls the reader before the component sets its labels: labels
    given in [initialize.components] count, not the gold's."""
    config = Config({"nlp": {"lang": "en", "pipeline": ["bilstm_crf_ner"]},
                     "components": {"bilstm_crf_ner": {"factory": "bilstm_crf_ner"}},
                     "initialize": {"components": {"bilstm_crf_ner": {"labels": ["LOC", "ORG", "PER"]}}}})
    nlp = spacy.util.load_model_from_config(config, auto_fill=True)
    assert nlp.get_pipe("bilstm_crf_ner").labels == ()
    with pytest.raises(ValueError, match=r"\[E231\] .*student's \[initialize.components\] labels .*"
                                         r"missing from the silver: \['ORG'\]"):
        list(_make(gold_path, silver_path)(nlp))


def test_refuses_another_tag_scheme(gold_path: Path, silver_path: Path):
    nlp = spacy.blank("en")
    ner = nlp.add_pipe("bilstm_crf_ner", config={"tag_scheme": "BIO"})
    ner.add_label("LOC")
    ner.add_label("PER")
    with pytest.raises(ValueError, match=r"\[E232\] .*tag scheme BILUO but the student 'bilstm_crf_ner' uses BIO"):
        list(_make(gold_path, silver_path)(nlp))


def test_refuses_threshold_without_probabilities(gold_path: Path, tmp_path: Path, nlp: Language):
    hard = tmp_path / "hard"
    docs = _silver_docs(nlp)
    for doc in docs:
        del doc.spans["silver_sentences"]
    write_silver_set(docs, hard, teacher="t", labels=["LOC", "PER"], tag_scheme=None)
    assert len(list(_make(gold_path, hard)(nlp))) == N_GOLD + N_SILVER
    with pytest.raises(ValueError, match=r"\[E230\] min_sentence_prob = 0.2 needs"):
        _make(gold_path, hard, min_sentence_prob=0.2)


@pytest.mark.parametrize(
    "settings,match",
    [({"silver_fraction": 1.5}, r"\[E229\] silver_fraction"), ({"min_sentence_prob": -0.1}, r"\[E229\] min_sentence"),
     ({"silver_per_gold": -1}, r"\[E229\] silver_per_gold"), ({"silver_path": None}, r"\[E229\] silver_path"),
     ({"path": None}, r"\[E101\]")],
)
def test_bad_settings(gold_path: Path, silver_path: Path, settings, match):
    kwargs = {"path": gold_path, "silver_path": silver_path, **settings}
    with pytest.raises(ValueError, match=match):
        create_silver_corpus(**kwargs)


def test_refuses_a_changed_silver_set(gold_path: Path, silver_path: Path):
    (silver_path / "extra.spacy").write_bytes(b"")
    with pytest.raises(ValueError, match=r"\[E225\]"):
        _make(gold_path, silver_path)


def test_silver_of_our_teacher_is_filtered_by_its_probabilities(gold_path: Path, tmp_path: Path, nlp: Language):
    """End to end: an (untrained) bilstm_crf_ner teacher annotates, the reader
    makes exactly the sentences below the threshold missing."""
    spacy.util.fix_random_seed(0)
    teacher = spacy.blank("en")
    teacher.add_pipe("bilstm_crf_ner", config=tiny_model_config("spacy-bilstm-crf.BiLSTMCRFTagger.v1", width=8))
    teacher.initialize(lambda: [Example(Doc(teacher.vocab, words=[t.text for t in d]), d)
                                for d in _gold_docs(teacher)])
    info = find_teacher(teacher)
    docs = list(annotate_sentences(teacher, [d.text.split() for d in _silver_docs(teacher)] * 2, sentences_per_doc=2))
    manifest = write_silver_set(docs, tmp_path / "ours", teacher=teacher_fingerprint(teacher), labels=info.labels,
                                tag_scheme=info.tag_scheme)
    assert manifest.sentence_probabilities and manifest.tag_scheme == "BILUO" and manifest.labels == ("LOC", "PER")
    probs = sorted(p for d in docs for _, _, p in sentence_probabilities(d))
    threshold = probs[len(probs) // 2]
    reader = _make(gold_path, tmp_path / "ours", min_sentence_prob=threshold)
    silver = list(reader(nlp))[N_GOLD:]
    assert reader.last_stats.n_unsure_sentences == sum(p < threshold for p in probs) > 0
    missing = sum(t.ent_iob == 0 for eg in silver for t in eg.reference)
    assert missing == reader.last_stats.n_missing_tokens > 0


# A student learns from silver what gold never shows: the teacher (an entity_ruler)
# labels the made-up word "Zorblax" as PROD; gold has PROD only for lower-case words.
STUDENT_CONFIG = """
[paths]
train = null
dev = null
silver = null

[system]
seed = 0

[nlp]
lang = "en"
pipeline = ["bilstm_crf_ner"]
batch_size = 32

[components]

[components.bilstm_crf_ner]
factory = "bilstm_crf_ner"

[components.bilstm_crf_ner.model]
@architectures = "spacy-bilstm-crf.BiLSTMCRFTagger.v1"
width = 16
depth = 1
dropout = 0.0
spatial_dropout = 0.0

[components.bilstm_crf_ner.model.tok2vec]
@architectures = "spacy.MultiHashEmbed.v2"
width = 16
attrs = ["NORM", "SHAPE"]
rows = [500, 50]
include_static_vectors = false

[corpora]

[corpora.train]
@readers = "spacy-bilstm-crf.SilverCorpus.v1"
path = ${paths.train}
silver_path = ${paths.silver}
silver_fraction = 1.0

[corpora.dev]
@readers = "spacy.Corpus.v1"
path = ${paths.dev}

[training]
max_steps = 40
eval_frequency = 20
patience = 0
dropout = 0.0

[training.batcher]
@batchers = "spacy.batch_by_words.v1"
size = 200

[training.optimizer]
@optimizers = "Adam.v1"
learn_rate = 0.01
"""

SILVER_TEXT = [["We", "sold", "Zorblax", "yesterday", "."], ["Anna", "bought", "Zorblax", "."],
               ["Zorblax", "is", "cheap", "."], ["Bob", "likes", "his", "Zorblax", "."]]


def _student_data(tmp_path: Path) -> dict:
    nlp = spacy.blank("en")
    gold = []
    for i, (name, product) in enumerate(zip(NAMES * 2, ["fizzbo", "quanta", "mimsy"] * 4)):
        gold.append(Doc(nlp.vocab, words=[name, "bought", product, "in", "Rome", "."],
                        ents=["B-PER", "O", "B-PROD", "O", "O", "O"]))
    DocBin(docs=gold).to_disk(tmp_path / "gold.spacy")
    teacher = spacy.blank("en")
    teacher.add_pipe("entity_ruler").add_patterns(
        [{"label": "PROD", "pattern": "Zorblax"}] + [{"label": "PER", "pattern": n} for n in NAMES])
    info = find_teacher(teacher)
    docs = annotate_sentences(teacher, SILVER_TEXT * 5, sentences_per_doc=2)
    write_silver_set(docs, tmp_path / "silver", teacher=teacher_fingerprint(teacher), labels=["PER", "PROD"],
                     tag_scheme=info.tag_scheme)
    return {"paths.train": str(tmp_path / "gold.spacy"), "paths.dev": str(tmp_path / "gold.spacy"),
            "paths.silver": str(tmp_path / "silver")}


@pytest.mark.slow
def test_student_learns_what_only_the_silver_teaches(tmp_path: Path):
    overrides = _student_data(tmp_path)
    (tmp_path / "student.cfg").write_text(STUDENT_CONFIG)
    config_path = tmp_path / "filled.cfg"
    fill_config(config_path, tmp_path / "student.cfg", silent=True)
    debug_config(config_path, overrides=overrides)
    train(config_path, tmp_path / "out", overrides=overrides)
    student = spacy.load(tmp_path / "out" / "model-last")
    assert student.get_pipe("bilstm_crf_ner").labels == ("PER", "PROD")
    for words in (["so", "we", "want", "Zorblax", "now", "."], ["Zorblax", "was", "sold", "."]):
        doc = student(Doc(student.vocab, words=words))
        assert doc[words.index("Zorblax")].ent_type_ == "PROD", [(e.text, e.label_) for e in doc.ents]
