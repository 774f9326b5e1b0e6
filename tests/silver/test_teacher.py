"""A teacher annotates pre-tokenized sentences: ours with per-sentence probabilities, others with hard labels."""
import pytest
import spacy
from spacy.tokens import DocBin

from helpers.ner import make_examples, tiny_model_config
from spacy_bilstm_crf.silver.layout import ENTITIES_KEY, SENTENCES_KEY, sentence_probabilities
from spacy_bilstm_crf.silver.teacher import annotate_sentences, find_teacher, teacher_fingerprint

SENTENCES = [["Shaka", "Khan", "lives", "in", "Berlin", "."], ["I", "like", "London", "."],
             ["Who", "is", "Zoë", "?"], ["Rain", "."], ["Berlin", "again", "."]]


def _ours(arch: str = "spacy-bilstm-crf.BiLSTMCRFTagger.v1", **extra):
    """An initialised (untrained) bilstm_crf_ner: probabilities need no training."""
    spacy.util.fix_random_seed(0)
    nlp = spacy.blank("en")
    config = tiny_model_config(arch, width=8, **extra)
    config["spans_key"] = None
    nlp.add_pipe("bilstm_crf_ner", config=config)
    examples = make_examples(nlp)
    nlp.initialize(lambda: examples)
    return nlp


def _ruler():
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "LOC", "pattern": "Berlin"}])
    return nlp


def test_our_teacher_gives_sentence_and_entity_probabilities():
    nlp = _ours()
    ner = nlp.get_pipe("bilstm_crf_ner")
    docs = list(annotate_sentences(nlp, SENTENCES, sentences_per_doc=2))
    assert [len(list(d.sents)) for d in docs] == [2, 2, 1]
    assert [[t.text for t in s] for d in docs for s in d.sents] == SENTENCES
    # The settings switched on for annotating are restored.
    assert ner.uncertainty is False and ner.spans_key is None
    for doc in docs:
        probs = sentence_probabilities(doc)
        assert [(s, e) for s, e, _ in probs] == [(s.start, s.end) for s in doc.sents]
        assert all(0.0 < p <= 1.0 for _, _, p in probs)
        assert len(doc.spans[ENTITIES_KEY].attrs["scores"]) == len(doc.spans[ENTITIES_KEY])
        assert set(doc.spans) == {SENTENCES_KEY, ENTITIES_KEY}
    # A sentence's probability is the one the component gives that sentence on its own
    # (sentence-level model: sentences are independent sequences).
    ner.uncertainty, ner.spans_key = True, "s"
    alone = nlp(spacy.tokens.Doc(nlp.vocab, words=SENTENCES[1]))
    assert sentence_probabilities(docs[0])[1][2] == pytest.approx(
        alone.spans["s"].attrs["uncertainty"]["best_probability"], rel=1e-5)
    # Everything survives a DocBin.
    back = list(DocBin(docs=docs, store_user_data=True).get_docs(nlp.vocab))
    assert [sentence_probabilities(d) for d in back] == [sentence_probabilities(d) for d in docs]
    assert [[(e.start, e.end, e.label_) for e in d.ents] for d in back] == \
        [[(e.start, e.end, e.label_) for e in d.ents] for d in docs]


def test_document_level_teacher_needs_one_sentence_per_doc():
    nlp = _ours(sentence_level=False)
    with pytest.raises(ValueError, match=r"\[E228\] The teacher 'bilstm_crf_ner' decoded 1 sequence\(s\) for a doc of 2"):
        list(annotate_sentences(nlp, SENTENCES, sentences_per_doc=2))
    docs = list(annotate_sentences(nlp, SENTENCES, sentences_per_doc=1))
    assert len(docs) == 5 and all(len(sentence_probabilities(d)) == 1 for d in docs)


def test_other_teacher_gives_hard_labels():
    nlp = _ruler()
    teacher = find_teacher(nlp)
    assert not teacher.ours and teacher.labels == ("LOC",) and teacher.tag_scheme is None
    docs = list(annotate_sentences(nlp, SENTENCES, sentences_per_doc=3))
    assert [[e.text for e in d.ents] for d in docs] == [["Berlin"], ["Berlin"]]
    assert all(sentence_probabilities(d) is None for d in docs)


def test_bad_input_and_no_ner():
    with pytest.raises(ValueError, match=r"\[E227\]"):
        list(annotate_sentences(spacy.blank("en"), SENTENCES))
    with pytest.raises(ValueError, match=r"\[E229\] sentences_per_doc"):
        list(annotate_sentences(_ruler(), SENTENCES, sentences_per_doc=0))
    with pytest.raises(ValueError, match=r"\[E229\] sentence 2: expected a non-empty list"):
        list(annotate_sentences(_ruler(), [["a"], [], ["b"]]))


def test_fingerprint_follows_the_weights():
    a, b = _ruler(), _ruler()
    assert teacher_fingerprint(a) == teacher_fingerprint(b)
    b.get_pipe("entity_ruler").add_patterns([{"label": "LOC", "pattern": "Rome"}])
    assert teacher_fingerprint(a) != teacher_fingerprint(b)
