"""Memory: training hands free heap memory back to the OS every `release_memory_every`
updates; prediction works in chunks of at most `max_predict_words` words."""
import sys

import numpy
import pytest
import spacy

from helpers.ner import TRAIN_DATA, make_examples, tiny_model_config, train_nlp
from spacy_bilstm_crf import memory
from spacy_bilstm_crf.pipeline._ner.decoding import chunks_by_words


def _rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_release_returns_freed_heap_memory():
    # Small blocks come from the heap, not mmap; keeping every 64th pins the heap
    # so glibc cannot shrink it by itself when the rest is freed.
    blocks = [bytearray(4096) for _ in range(60_000)]
    keep = blocks[::64]
    del blocks
    before = _rss_kib()
    assert memory.release_free_memory() is True
    assert _rss_kib() < before - 100_000  # most of the ~240 MB freed goes back
    del keep


def _nlp(**settings):
    nlp = spacy.blank("en")
    config = tiny_model_config("spacy-bilstm-crf.BiLSTMCRFTagger.v2", word_dropout=0.0)
    config.update(settings)
    nlp.add_pipe("bilstm_crf_ner", config=config)
    return nlp


@pytest.mark.parametrize("every,expected", [(3, [3, 6]), (0, [])])
def test_update_releases_every_n_updates(monkeypatch, every, expected):
    nlp = _nlp(release_memory_every=every)
    examples = make_examples(nlp)
    nlp.initialize(lambda: examples)
    ner = nlp.get_pipe("bilstm_crf_ner")
    calls = []
    monkeypatch.setattr(memory, "release_free_memory", lambda: calls.append(ner._updates) or True)
    for _ in range(7):
        nlp.update(examples)
    assert calls == expected


@pytest.mark.parametrize("every,expected", [(100, [(3, "predict"), (4, "update"), (4, "predict")]), (0, [])])
def test_switching_between_training_and_prediction_releases(monkeypatch, every, expected):
    nlp = _nlp(release_memory_every=every)
    examples = make_examples(nlp)
    nlp.initialize(lambda: examples)
    ner = nlp.get_pipe("bilstm_crf_ner")
    docs = [eg.predicted for eg in examples]
    calls = []
    monkeypatch.setattr(memory, "release_free_memory", lambda: calls.append((ner._updates, "?")) or True)
    # Inference before any training never trims.
    list(nlp.pipe(["Shaka Khan lives in Berlin."]))
    assert calls == []
    for _ in range(3):
        nlp.update(examples)
    assert len(calls) == (1 if every else 0)  # the first update after that prediction
    calls_at = []
    for step in ("predict", "predict", "update", "predict"):
        before = len(calls)
        if step == "predict":
            ner.predict(docs)
        else:
            nlp.update(examples)
        calls_at += [(ner._updates, step)] * (len(calls) - before)
    assert calls_at == expected


@pytest.mark.parametrize("bad", [-1, 1.5, True, "10"])
def test_release_memory_every_is_checked(bad):
    with pytest.raises(Exception, match="release_memory_every|E060|int"):
        _nlp(release_memory_every=bad)


def _decoded_as_lists(decoded):
    """Every field of a `Decoded`, as plain nested Python values."""
    def plain(value):
        if hasattr(value, "tolist"):
            return value.tolist()
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value
    return [plain(field) for field in decoded]


def test_chunks_by_words_keeps_docs_whole_and_in_order():
    nlp = spacy.blank("en")
    docs = [nlp.make_doc(" ".join(["w"] * n)) for n in (3, 4, 0, 9, 1, 2)]
    chunks = list(chunks_by_words(docs, 7))
    assert [[len(d) for d in c] for c in chunks] == [[3, 4, 0], [9], [1, 2]]
    assert [d for c in chunks for d in c] == docs
    assert [[len(d) for d in c] for c in chunks_by_words(docs, 0)] == [[3, 4, 0, 9, 1, 2]]
    assert list(chunks_by_words([], 7)) == [[]]


def test_predict_in_word_chunks_gives_the_same_output():
    nlp, _ = train_nlp("spacy-bilstm-crf.BiLSTMCRFTagger.v1", n_iter=30)
    ner = nlp.get_pipe("bilstm_crf_ner")
    ner.n_best, ner.uncertainty, ner.alternatives = 3, True, True
    texts = [text for text, _ in TRAIN_DATA] * 3 + ["", "Berlin"]
    docs = [nlp.make_doc(text) for text in texts]
    ner.max_predict_words = 0
    whole = ner.predict(docs)
    ner.max_predict_words = 7  # several chunks, docs of 1-7 words
    assert len(list(chunks_by_words(docs, 7))) > 5
    chunked = ner.predict(docs)
    assert len(chunked.tag_ids) == len(docs)
    numpy.testing.assert_equal(_decoded_as_lists(chunked)[0], _decoded_as_lists(whole)[0])
    for got, want in zip(_decoded_as_lists(chunked)[1:], _decoded_as_lists(whole)[1:]):
        assert got is not None
        assert repr(got).count(",") == repr(want).count(",")
        numpy.testing.assert_allclose(numpy.array(_flat(got), dtype=float), numpy.array(_flat(want), dtype=float), atol=1e-6)


def _flat(value):
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in _flat(v)]
    if isinstance(value, dict):
        return [x for k in sorted(value) for x in _flat(value[k])]
    return [value]


@pytest.mark.parametrize("bad", [-1, 2.5, False, "5000"])
def test_max_predict_words_is_checked(bad):
    with pytest.raises(Exception, match="max_predict_words|E061|int"):
        _nlp(max_predict_words=bad)
