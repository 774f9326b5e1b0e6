"""Silver docs' probability groups survive DocBin; unsure sentences become missing NER, not cuts."""
import pytest
import spacy
from spacy.tokens import Doc, DocBin, Span
from spacy.training import Example

from spacy_bilstm_crf.silver.layout import (
    SENTENCES_KEY,
    mark_unsure_missing,
    sentence_probabilities,
    set_sentence_probabilities,
)


def _doc(nlp, probs=(0.9, 0.2, 0.95)) -> Doc:
    words = ["Ann", "met", "Bob", ".", "Paris", "is", "big", ".", "Carl", "left", "."]
    starts = [True, False, False, False, True, False, False, False, True, False, False]
    doc = Doc(nlp.vocab, words=words, sent_starts=starts)
    doc.set_ents([Span(doc, 0, 1, "PER"), Span(doc, 2, 3, "PER"), Span(doc, 4, 5, "LOC"), Span(doc, 8, 9, "PER")])
    set_sentence_probabilities(doc, probs)
    return doc


def test_probabilities_survive_docbin():
    nlp = spacy.blank("en")
    doc = _doc(nlp)
    back = list(DocBin(docs=[doc], store_user_data=True).from_bytes(
        DocBin(docs=[doc], store_user_data=True).to_bytes()).get_docs(nlp.vocab))[0]
    assert sentence_probabilities(back) == [(0, 4, 0.9), (4, 8, 0.2), (8, 11, 0.95)]
    assert [s.start for s in back.sents] == [0, 4, 8]


def test_unsure_sentence_becomes_missing_not_cut():
    nlp = spacy.blank("en")
    doc = _doc(nlp)
    assert mark_unsure_missing(doc, 0.5) == (1, 4)
    assert len(doc) == 11
    # I=1, O=2, B=3, missing=0: only the second sentence's tokens are missing.
    assert [t.ent_iob for t in doc] == [3, 2, 3, 2, 0, 0, 0, 0, 3, 2, 2]
    assert [(e.text, e.label_) for e in doc.ents] == [("Ann", "PER"), ("Bob", "PER"), ("Carl", "PER")]
    # What the loss sees: None (masked) for the unsure sentence, tags elsewhere.
    eg = Example(Doc(nlp.vocab, words=[t.text for t in doc]), doc)
    assert eg.get_aligned_ner() == ["U-PER", "O", "U-PER", "O", None, None, None, None, "U-PER", "O", "O"]


def test_threshold_zero_and_sure_docs_change_nothing():
    nlp = spacy.blank("en")
    doc = _doc(nlp)
    before = [t.ent_iob for t in doc]
    assert mark_unsure_missing(doc, 0.0) == (0, 0)
    assert mark_unsure_missing(doc, 0.2) == (0, 0)  # below, not at
    assert [t.ent_iob for t in doc] == before


def test_entity_reaching_into_an_unsure_sentence_goes_missing_whole():
    nlp = spacy.blank("en")
    doc = Doc(nlp.vocab, words=["New", "York", "is", "far"], sent_starts=[True, True, False, False])
    doc.set_ents([Span(doc, 0, 2, "LOC")])
    set_sentence_probabilities(doc, [0.99, 0.1])
    assert mark_unsure_missing(doc, 0.5) == (1, 4)
    assert [t.ent_iob for t in doc] == [0, 0, 0, 0]


@pytest.mark.parametrize("probs,match", [([0.5, 1.5], "outside|expected a number"), ([0.5], "as many")])
def test_malformed_group_is_refused_with_file_and_doc(probs, match):
    nlp = spacy.blank("en")
    doc = _doc(nlp)
    doc.spans[SENTENCES_KEY].attrs["probabilities"] = probs + ([0.1] if len(probs) == 2 else [])
    with pytest.raises(ValueError, match=r"\[E233\] shard\.spacy: doc 7 .*(" + match + ")"):
        sentence_probabilities(doc, path="shard.spacy", index=7)


def test_missing_probabilities_refused():
    nlp = spacy.blank("en")
    doc = Doc(nlp.vocab, words=["a", "b"])
    assert sentence_probabilities(doc) is None
    with pytest.raises(ValueError, match=r"\[E233\].*no doc\.spans\['silver_sentences'\]"):
        mark_unsure_missing(doc, 0.5)
