import numpy
import pytest
import spacy

from spacy_bilstm_crf.pipeline._ner.tags import (
    allowed_transitions,
    biluo_to_scheme,
    get_tags,
    mask_invalid_gold,
    tag_ids_to_spans,
)


def test_get_tags_orders_o_first():
    assert get_tags(["LOC", "PER"], "BIO") == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
    assert get_tags(["LOC"], "BILUO") == ["O", "B-LOC", "I-LOC", "L-LOC", "U-LOC"]


def test_unknown_scheme_is_rejected():
    with pytest.raises(ValueError, match="IOBES"):
        get_tags(["LOC"], "IOBES")


@pytest.mark.parametrize("scheme", ["BILUO", "BIO"])
def test_allowed_transitions(scheme):
    tags = get_tags(["LOC", "PER"], scheme)
    trans, start, end = allowed_transitions(tags, scheme)
    idx = {t: i for i, t in enumerate(tags)}
    assert not trans[idx["O"], idx["I-LOC"]]
    assert not trans[idx["B-LOC"], idx["I-PER"]]
    assert trans[idx["B-LOC"], idx["I-LOC"]]
    assert not start[idx["I-LOC"]]
    assert start[idx["B-PER"]] and start[idx["O"]]
    if scheme == "BILUO":
        assert not trans[idx["B-LOC"], idx["O"]]
        assert trans[idx["L-LOC"], idx["U-PER"]]
        assert not end[idx["B-LOC"]] and end[idx["U-LOC"]]
    else:
        assert trans[idx["B-LOC"], idx["O"]] and trans[idx["I-LOC"], idx["B-LOC"]]
        assert end.all()


def test_biluo_to_bio_keeps_missing():
    assert biluo_to_scheme(["U-A", "B-B", "I-B", "L-B", None, "O"], "BIO") == [
        "B-A", "B-B", "I-B", "I-B", None, "O"
    ]


def test_tag_ids_to_spans_bio():
    doc = spacy.blank("en")("Anna met John Smith")
    tags = get_tags(["PER"], "BIO")
    spans = tag_ids_to_spans(doc, [1, 0, 1, 2], tags, "BIO")
    assert [(s.text, s.label_) for s in spans] == [("Anna", "PER"), ("John Smith", "PER")]


@pytest.mark.parametrize("scheme", ["BILUO", "BIO"])
def test_mask_invalid_gold_keeps_valid_and_masks_broken_edges(scheme):
    tags = get_tags(["PER"], scheme)
    allowed = allowed_transitions(tags, scheme)
    ids = {t: i for i, t in enumerate(tags)}
    inside_end = "L-PER" if scheme == "BILUO" else "I-PER"
    valid = numpy.array([ids["O"], ids["B-PER"], ids[inside_end], ids["O"], -1])
    kept, n = mask_invalid_gold(valid, allowed)
    assert n == 0 and kept.tolist() == valid.tolist()
    # A sentence cut inside an entity: starts on the entity's continuation.
    cut = numpy.array([ids[inside_end], ids["O"]])
    masked, n = mask_invalid_gold(cut, allowed)
    assert n == 1 and masked.tolist() == [-1, ids["O"]]
    if scheme == "BILUO":
        # Ends on B-: invalid end under BILUO.
        masked, n = mask_invalid_gold(numpy.array([ids["O"], ids["B-PER"]]), allowed)
        assert n == 1 and masked.tolist() == [ids["O"], -1]


@pytest.mark.parametrize("scheme", ["BILUO", "BIO"])
def test_mask_invalid_gold_over_sequences_is_each_sequence_alone(scheme):
    """With `lengths`, every sequence is masked as if alone: its own start
    and end, and no transition across a boundary."""
    tags = get_tags(["LOC", "PER"], scheme)
    allowed = allowed_transitions(tags, scheme)
    rng = numpy.random.default_rng(0)
    for _ in range(200):
        lengths = rng.integers(1, 6, size=rng.integers(1, 5)).tolist()
        ids = rng.integers(-1, len(tags), size=sum(lengths))
        joined, n = mask_invalid_gold(ids, allowed, lengths)
        pieces = numpy.split(ids, numpy.cumsum(lengths)[:-1])
        alone = [mask_invalid_gold(piece, allowed) for piece in pieces]
        assert joined.tolist() == numpy.concatenate([m for m, _ in alone]).tolist()
        assert n == sum(k for _, k in alone)
    assert mask_invalid_gold(numpy.zeros((0,), dtype="int64"), allowed, [0])[1] == 0
