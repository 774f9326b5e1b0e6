"""Decoding per sentence in place (`segments`) is decoding each sentence alone."""
import numpy
import pytest
import spacy

from spacy_bilstm_crf.pipeline._ner.decoding import Sequences, decode
from spacy_bilstm_crf.pipeline._ner.losses import crf_loss
from spacy_bilstm_crf.ml.layers.crf_params import PARAMS

from helpers.ner import ARCHS, train_nlp

TEXTS = [
    "Shaka Khan lives in Berlin. Zoë Müller visited Zürich. I like London.",
    "",
    "Berlin",
    "Who is Shaka Khan? I like Berlin and London today.",
]


def _sentence_docs(nlp):
    sentencizer = spacy.blank("en").add_pipe("sentencizer")
    return [sentencizer(nlp.make_doc(text)) for text in TEXTS]


def _segments(docs):
    return [[len(sent) for sent in doc.sents] or [0] for doc in docs]


def _pieces(arrays, segments):
    return [array[start : start + size] for array, sizes in zip(arrays, segments)
            for start, size in zip(numpy.cumsum([0] + sizes[:-1]), sizes)]


def _plain(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def test_sequences_of_docs_and_sentences():
    scores = [numpy.zeros((n, 3), dtype="float32") for n in (5, 0, 2)]
    seqs = Sequences.of(scores, [[2, 3], [0], [2]])
    assert seqs.doc.tolist() == [0, 0, 1, 2]
    assert seqs.lengths.tolist() == [2, 3, 0, 2]
    assert seqs.nonempty.tolist() == [0, 1, 3]
    assert seqs.starts.tolist() == [0, 2, 5, 5]
    assert seqs.per_doc("abcd") == [[(0, 2, "a"), (2, 5, "b")], [(0, 0, "c")], [(0, 2, "d")]]
    whole = Sequences.of(scores, None)
    assert whole.lengths.tolist() == [5, 0, 2] and whole.doc.tolist() == [0, 1, 2]
    with pytest.raises(AssertionError):
        Sequences.of(scores, [[2, 2], [0], [2]])


@pytest.mark.parametrize("arch", [ARCHS[0], ARCHS[2]])
def test_decode_with_segments_is_decoding_each_sentence_alone(arch):
    nlp, _ = train_nlp(arch, n_iter=10)
    ner = nlp.get_pipe("bilstm_crf_ner")
    docs = _sentence_docs(nlp)
    scores = ner.model.predict(docs)
    segments = _segments(docs)
    assert sum(len(sizes) for sizes in segments) > len(docs) + 2
    options = dict(entity_scores=(ner.tags, ner.tag_scheme), n_best=3, uncertainty=True, alternatives=True)
    for more in ({}, options, dict(entity_scores=(ner.tags, ner.tag_scheme))):
        joined = decode(ner.model, scores, ner.constraints, segments=segments, **more)
        alone = decode(ner.model, _pieces(scores, segments), ner.constraints, **more)
        seqs = Sequences.of(scores, segments)
        for i in range(len(docs)):
            mine = seqs.doc == i
            parts = [j for j in range(len(seqs.doc)) if mine[j]]
            assert joined.tag_ids[i].tolist() == numpy.concatenate([alone.tag_ids[j] for j in parts]).tolist()
            if more.get("entity_scores"):
                assert joined.entity_scores[i].tolist() == [p for j in parts for p in alone.entity_scores[j].tolist()]
            if more.get("n_best"):
                # Without segments each piece is a doc of one sequence.
                assert [_plain(item) for _, _, item in joined.nbest[i]] == [_plain(alone.nbest[j][0][2]) for j in parts]
                assert [(s, e) for s, e, _ in joined.uncertainty[i]] == [
                    (int(a), int(a + n)) for a, n in zip(seqs.starts[parts] - seqs.starts[parts[0]], seqs.lengths[parts])
                ]
                assert [_plain(u) for _, _, u in joined.uncertainty[i]] == [_plain(alone.uncertainty[j][0][2]) for j in parts]
                assert _plain(joined.alternatives[i]) == [row for j in parts for row in _plain(alone.alternatives[j])]


def test_crf_loss_with_segments_is_the_loss_of_each_sentence():
    nlp, _ = train_nlp(ARCHS[2], n_iter=10)
    ner = nlp.get_pipe("bilstm_crf_ner")
    docs = _sentence_docs(nlp)
    scores = ner.model.predict(docs)
    segments = _segments(docs)
    rng = numpy.random.default_rng(1)
    gold = [rng.choice([0, -1], size=len(doc)).astype("int32") for doc in docs]
    crf = ner.model.get_ref("crf")

    def run(*args):
        for name in PARAMS:
            crf.set_grad(name, crf.ops.alloc(crf.get_param(name).shape))
        loss, d_scores = crf_loss(ner.model, *args)
        return loss, d_scores, [crf.get_grad(name).copy() for name in PARAMS]

    loss, d_scores, grads = run(scores, gold, ner.constraints, segments)
    loss_alone, d_alone, grads_alone = run(_pieces(scores, segments), _pieces(gold, segments), ner.constraints)
    assert loss == pytest.approx(loss_alone, rel=1e-6)
    assert [len(d) for d in d_scores] == [len(doc) for doc in docs]
    numpy.testing.assert_allclose(numpy.concatenate(d_scores), numpy.concatenate(d_alone), rtol=1e-6, atol=1e-7)
    for g, g_alone in zip(grads, grads_alone):
        numpy.testing.assert_allclose(g, g_alone, rtol=1e-5, atol=1e-6)
