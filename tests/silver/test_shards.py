"""A silver set on disk: shards then manifest, counted from the docs, checked on reading."""
from pathlib import Path

import pytest
import spacy
from spacy.tokens import Doc, Span

from spacy_bilstm_crf.silver.layout import set_sentence_probabilities
from spacy_bilstm_crf.silver.manifest import MANIFEST_NAME
from spacy_bilstm_crf.silver.shards import check_silver_set, read_silver_docs, write_silver_set


def _docs(nlp, n: int = 5, probs: bool = True):
    docs = []
    for i in range(n):
        doc = Doc(nlp.vocab, words=["Ann", "left", ".", "It", "rained", str(i)], sent_starts=[1, 0, 0, 1, 0, 0])
        doc.set_ents([Span(doc, 0, 1, "PER")])
        if probs:
            set_sentence_probabilities(doc, [0.9, 0.1 * i])
        docs.append(doc)
    return docs


def _write(folder: Path, docs, **kwargs):
    return write_silver_set(docs, folder, teacher="t1", labels=["LOC", "PER"], tag_scheme="BILUO", **kwargs)


def test_write_count_and_read_back(tmp_path: Path):
    nlp = spacy.blank("en")
    manifest = _write(tmp_path / "s", _docs(nlp), shard_size=2)
    assert [s.file for s in manifest.shards] == ["silver-00000.spacy", "silver-00001.spacy", "silver-00002.spacy"]
    assert [s.docs for s in manifest.shards] == [2, 2, 1]
    counts = manifest.counts
    assert (counts.docs, counts.sentences, counts.tokens) == (5, 10, 30)
    assert counts.entities == {"LOC": 0, "PER": 5}
    assert manifest.sentence_probabilities is True
    assert check_silver_set(tmp_path / "s") == manifest
    back = [doc for _, _, doc in read_silver_docs(tmp_path / "s", manifest, nlp.vocab)]
    assert [d.text for d in back] == [d.text for d in _docs(nlp)]
    assert back[3].spans["silver_sentences"].attrs["probabilities"] == [0.9, 0.1 * 3]


def test_hard_labels_and_mixed_docs(tmp_path: Path):
    nlp = spacy.blank("en")
    assert _write(tmp_path / "hard", _docs(nlp, probs=False)).sentence_probabilities is False
    with pytest.raises(ValueError, match=r"\[E233\] .*silver-00000\.spacy: doc 2 has no sentence probabilities"):
        _write(tmp_path / "mixed", _docs(nlp, 2) + _docs(nlp, 1, probs=False))
    with pytest.raises(ValueError, match=r"\[E233\] .*labelled 'PER', not one of the teacher's labels"):
        write_silver_set(_docs(nlp, 1), tmp_path / "labels", teacher="t", labels=["LOC"], tag_scheme=None)


def test_nothing_is_overwritten_or_mixed(tmp_path: Path):
    nlp = spacy.blank("en")
    folder = tmp_path / "s"
    _write(folder, _docs(nlp))
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    with pytest.raises(ValueError, match=r"\[E226\].*not empty"):
        _write(folder, _docs(nlp, 1))
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_changed_missing_or_extra_shards_are_refused(tmp_path: Path):
    nlp = spacy.blank("en")
    folder = tmp_path / "s"
    _write(folder, _docs(nlp), shard_size=2)
    (folder / "stray.spacy").write_bytes((folder / "silver-00000.spacy").read_bytes())
    with pytest.raises(ValueError, match=r"\[E225\] .*stray\.spacy are not listed in the manifest"):
        check_silver_set(folder)
    (folder / "stray.spacy").unlink()
    data = bytearray((folder / "silver-00001.spacy").read_bytes())
    data[-1] ^= 1
    (folder / "silver-00001.spacy").write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"\[E224\] .*'silver-00001\.spacy' listed in .*differs"):
        check_silver_set(folder)
    (folder / "silver-00001.spacy").unlink()
    with pytest.raises(ValueError, match=r"\[E224\] .*'silver-00001\.spacy' .* is missing"):
        check_silver_set(folder)
    (folder / MANIFEST_NAME).unlink()
    with pytest.raises(ValueError, match=r"\[E220\]"):
        check_silver_set(folder)
    with pytest.raises(ValueError, match=r"\[E234\]"):
        check_silver_set(tmp_path / "nowhere")
