"""The biomedical tokenizer: where it splits, what it leaves alone, and that a
pipeline using it saves and loads with the same tokens."""
import pytest
import spacy

from spacy_bilstm_crf.tokenizer import BIOMEDICAL_TOKENIZER


@pytest.fixture(scope="module")
def nlp():
    return spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": BIOMEDICAL_TOKENIZER}}})


@pytest.mark.parametrize(
    "text,tokens",
    [
        ("CHX/Pilo", ["CHX", "/", "Pilo"]),
        ("Na+/K+", ["Na", "+", "/", "K", "+"]),
        ("Ca(2+)", ["Ca", "(", "2", "+", ")"]),
        ("(DOX)-induced", ["(", "DOX", ")", "-", "induced"]),
        ("[3H]-naloxone", ["[", "3H", "]", "-", "naloxone"]),
        ("5-HT and L-NAME", ["5", "-", "HT", "and", "L", "-", "NAME"]),
        ("K(+) leak", ["K", "(", "+", ")", "leak"]),
        ("Diazepam-, scopolamine- and", ["Diazepam", "-", ",", "scopolamine", "-", "and"]),
        ("hepatitis C. It", ["hepatitis", "C", ".", "It"]),
        ("with AmB.", ["with", "AmB", "."]),
    ],
)
def test_splits_where_mentions_end(nlp, text, tokens):
    assert [t.text for t in nlp(text)] == tokens


@pytest.mark.parametrize(
    "text,tokens",
    [
        ("1.5 mg and 1,000 rats", ["1.5", "mg", "and", "1,000", "rats"]),
        ("e.g. the U.S. data", ["e.g.", "the", "U.S.", "data"]),
        ("see http://example.org/a-b now", ["see", "http://example.org/a-b", "now"]),
        ("Dr. Who isn't", ["Dr.", "Who", "is", "n't"]),
    ],
)
def test_keeps_spacy_exceptions_numbers_and_urls(nlp, text, tokens):
    assert [t.text for t in nlp(text)] == tokens


def test_text_is_unchanged(nlp):
    text = "Na+/K+-ATPase  (DOX)-induced\tcardiotoxicity, 5-HT6 [3H]-naloxone.\n"
    assert nlp(text).text == text


def test_differs_from_spacy_english():
    english = spacy.blank("en")
    assert [t.text for t in english("(DOX)-induced")] != ["(", "DOX", ")", "-", "induced"]


def test_to_disk_and_load_same_tokens(nlp, tmp_path):
    text = "CHX/Pilo-induced seizures and Ca(2+) in hepatitis C."
    nlp.to_disk(tmp_path / "m")
    loaded = spacy.load(tmp_path / "m")
    assert loaded.config["nlp"]["tokenizer"] == {"@tokenizers": BIOMEDICAL_TOKENIZER}
    assert [t.text for t in loaded(text)] == [t.text for t in nlp(text)]
    assert loaded.tokenizer.to_bytes() == nlp.tokenizer.to_bytes()
