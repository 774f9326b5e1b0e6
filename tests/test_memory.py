"""Training hands free heap memory back to the OS every `release_memory_every` updates."""
import sys

import pytest
import spacy

from ner_helpers import make_examples, tiny_model_config
from spacy_bilstm_crf import memory


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


@pytest.mark.parametrize("bad", [-1, 1.5, True, "10"])
def test_release_memory_every_is_checked(bad):
    with pytest.raises(Exception, match="release_memory_every|E060|int"):
        _nlp(release_memory_every=bad)
