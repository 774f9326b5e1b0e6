"""Gold tags for the loss (spacy_bilstm_crf.pipeline._ner.gold): the reference
entities aligned to the predicted tokens, missing tags masked."""
import numpy
import pytest
import spacy
from spacy.tokens import Doc
from spacy.training import Example

from spacy_bilstm_crf.pipeline._ner.gold import gold_tag_ids
from spacy_bilstm_crf.pipeline._ner.tags import biluo_to_scheme


def gold_ids(ner, examples):
    """The component's gold tag ids for `examples` (what get_loss uses)."""
    return gold_tag_ids(examples, ner.tags, ner.tag_scheme, labels=ner.labels, name=ner.name)


def test_missing_gold_tags_are_masked():
    nlp = spacy.blank("en")
    nlp.add_pipe("bilstm_crf_ner", config={"model": {"width": 16}})
    doc = nlp.make_doc("Anna lives in Paris")
    ref = Doc(nlp.vocab, words=["Anna", "lives", "in", "Paris"], ents=["B-PER", None, None, "B-LOC"])
    eg = Example(doc, ref)
    nlp.initialize(lambda: [eg])
    ner = nlp.get_pipe("bilstm_crf_ner")
    gold = gold_ids(ner, [eg])[0]
    assert gold.tolist()[1:3] == [-1, -1]
    scores = ner.model.predict([doc])
    _, d_scores = ner.get_loss([eg], scores)
    # Missing tags constrain nothing locally, but the gradient still flows
    # through the chain to known neighbours; no gold tag is invented for them.
    assert d_scores[0].shape == scores[0].shape
    assert numpy.isfinite(d_scores[0]).all()


@pytest.mark.parametrize("scheme", ["BILUO", "BIO"])
def test_gold_tags_from_offsets_equal_spacys_aligned_tags(scheme):
    """The same-text shortcut gives what `Example.get_aligned_ner` gives:
    one- and multi-token entities, O, missing, whitespace, a predicted token
    that merges two gold ones, and an entity whose edge falls inside a token."""
    nlp = spacy.blank("en")
    ner = nlp.add_pipe("bilstm_crf_ner", config={"model": {"width": 16}, "tag_scheme": scheme})
    words = ["Anna", "Maria", "Smith", "lives", "\n", "in", "New", "-", "York", "now", "."]
    spaces = [True, True, True, True, False, True, False, False, True, False, False]
    ents = ["B-PER", "I-PER", "I-PER", "O", None, None, "B-LOC", "I-LOC", "I-LOC", "O", "O"]
    ref = Doc(nlp.vocab, words=words, spaces=spaces, ents=ents)
    nlp.initialize(lambda: [Example(nlp.make_doc(ref.text), ref)])
    index = {tag: i for i, tag in enumerate(ner.tags)}

    def spacy_ids(eg):
        tags = biluo_to_scheme(eg.get_aligned_ner(), scheme)
        return [-1 if t in (None, "-") else index[t] for t in tags]

    retokenized = [
        words,
        ["Anna", "Maria", "Smith", "lives", "\n", "in", "New-York", "now."],  # merged tokens
        ["Anna", "Maria", "Smi", "th", "lives", "\n", "in", "New", "-", "York", "now", "."],  # split entity edge
    ]
    for pred_words in retokenized:
        pred = Doc(nlp.vocab, words=pred_words, spaces=[ref.text[ref.text.index(w) + len(w):][:1] == " " for w in pred_words])
        assert pred.text == ref.text
        eg = Example(pred, ref)
        assert gold_ids(ner, [eg])[0].tolist() == spacy_ids(eg), pred_words
    # Different text (whitespace): spaCy's own alignment.
    other = Example(Doc(nlp.vocab, words=words, spaces=[True] * len(words)), ref)
    assert other.predicted.text != ref.text
    assert gold_ids(ner, [other])[0].tolist() == spacy_ids(other)
