"""scripts/evaluate.py's seen/unseen split and its column in compare.py's table."""
import pytest
from spacy.tokens import Doc, DocBin
from spacy.vocab import Vocab

from scripts.compare import markdown_table
from scripts.evaluate import entity_keys, seen_unseen_scores, training_entity_keys


def doc(vocab: Vocab, words, ents, spaces=None):
    """A doc with entities given as (start, end, label) token offsets."""
    d = Doc(vocab, words=words, spaces=spaces)
    d.ents = [d.char_span(d[s].idx, d[e - 1].idx + len(d[e - 1]), label=label) for s, e, label in ents]
    return d


@pytest.fixture
def vocab():
    return Vocab()


def test_entity_keys_are_text_and_label(vocab):
    train = [doc(vocab, ["Jo", "Smith", "visited", "Paris", "."], [(0, 2, "PER"), (3, 4, "LOC")])]
    assert entity_keys(train) == {("Jo Smith", "PER"), ("Paris", "LOC")}


def test_training_entity_keys_read_a_file_or_a_folder(vocab, tmp_path):
    """A training corpus is a .spacy file or a folder of them, as spaCy's Corpus reads it."""
    (tmp_path / "corpus").mkdir()
    DocBin(docs=[doc(vocab, ["Jo", "Smith"], [(0, 2, "PER")])]).to_disk(tmp_path / "corpus" / "a.spacy")
    DocBin(docs=[doc(vocab, ["Paris"], [(0, 1, "LOC")])]).to_disk(tmp_path / "corpus" / "b.spacy")
    assert training_entity_keys(tmp_path / "corpus" / "a.spacy") == {("Jo Smith", "PER")}
    assert training_entity_keys(tmp_path / "corpus") == {("Jo Smith", "PER"), ("Paris", "LOC")}


def test_seen_and_unseen_are_scored_apart(vocab):
    train_keys = {("Paris", "LOC"), ("Jo Smith", "PER")}
    words = ["Paris", "and", "Lyon", "met", "Jo", "Smith", "and", "Al", "Ng", "."]
    gold = doc(vocab, words, [(0, 1, "LOC"), (2, 3, "LOC"), (4, 6, "PER"), (7, 9, "PER")])
    # Paris right (seen); Lyon missed (unseen); "Jo Smith" as ORG is wrong and unseen as ORG;
    # "Al Ng" right (unseen); "met" spurious (unseen).
    pred = doc(vocab, words, [(0, 1, "LOC"), (3, 4, "MISC"), (4, 6, "ORG"), (7, 9, "PER")])
    scores = seen_unseen_scores(train_keys, [gold], [pred])
    seen, unseen = scores["seen"], scores["unseen"]
    assert (seen["gold"], seen["predicted"], seen["correct"]) == (2, 1, 1)
    assert (seen["p"], seen["r"]) == (1.0, 0.5)
    assert seen["f"] == pytest.approx(2 / 3)
    assert (unseen["gold"], unseen["predicted"], unseen["correct"]) == (2, 3, 1)
    assert unseen["p"] == pytest.approx(1 / 3) and unseen["r"] == 0.5
    assert unseen["f"] == pytest.approx(0.4)


def test_case_and_type_matter(vocab):
    """"paris" is not "Paris", and Paris as a PER is not Paris the LOC seen in training."""
    train_keys = {("Paris", "LOC")}
    gold = doc(vocab, ["paris", "Paris"], [(0, 1, "LOC"), (1, 2, "PER")])
    scores = seen_unseen_scores(train_keys, [gold], [gold])
    assert scores["seen"]["gold"] == 0 and scores["unseen"]["gold"] == 2
    assert scores["unseen"]["f"] == 1.0


def test_a_group_without_mentions_scores_zero(vocab):
    gold = doc(vocab, ["Lyon"], [(0, 1, "LOC")])
    scores = seen_unseen_scores(set(), [gold], [gold])
    assert scores["seen"] == {"p": 0.0, "r": 0.0, "f": 0.0, "gold": 0, "predicted": 0, "correct": 0}
    assert scores["unseen"]["f"] == 1.0


def _metrics(seen_unseen):
    entities = {"p": 0.9, "r": 0.8, "f": 0.85, "per_type": {"LOC": {"p": 0.9, "r": 0.8, "f": 0.85}}}
    return {"entities": entities, "token_accuracy": 0.97, "train_seconds": 10.0, "max_steps": 4,
            "words_per_second": 1000.0, "seqeval_spacy_agree": True, "seen_unseen": seen_unseen}


def test_comparison_table_shows_unseen_f1_when_every_model_has_it():
    split = {"seen": {"f": 0.95}, "unseen": {"f": 0.612}}
    table = markdown_table({"a": _metrics(split), "b": _metrics(split)})
    assert "| F1 seen | F1 unseen |" in table
    assert "| 95.0 | 61.2 |" in table
    table = markdown_table({"a": _metrics(split), "b": _metrics(None)})
    assert "unseen" not in table


def test_mentions_match_by_characters_across_tokenizations(vocab):
    """The pipeline's tokenizer may split differently from the gold tokens: a
    prediction with the gold's characters and type is correct."""
    gold = doc(vocab, ["Jean-Luc", "Picard", "won"], [(0, 2, "PER")])
    words, spaces = ["Jean", "-", "Luc", "Picard", "won"], [False, False, True, True, False]
    pred = doc(vocab, words, [(0, 4, "PER")], spaces)
    pred_wrong = doc(vocab, words, [(2, 4, "PER")], spaces)
    assert pred.text == gold.text.strip()
    assert seen_unseen_scores(set(), [gold], [pred])["unseen"]["f"] == 1.0
    assert seen_unseen_scores(set(), [gold], [pred_wrong])["unseen"]["correct"] == 0
