"""Entity probabilities from forward-backward against brute-force enumeration."""
import itertools

import pytest
import torch

from spacy_bilstm_crf.ml.crf import apply_constraints, forward_backward, lengths_to_mask, span_log_probs, viterbi_decode
from spacy_bilstm_crf.ml.packing import pack_layout
from spacy_bilstm_crf.pipeline._ner.tags import allowed_transitions, continuation_ids, get_tags, tag_ids_to_offsets


def _score(em, path, trans, start, end):
    s = start[path[0]] + em[0, path[0]]
    for t in range(1, len(path)):
        s = s + trans[path[t - 1], path[t]] + em[t, path[t]]
    return s + end[path[-1]]


@pytest.fixture
def crf():
    torch.manual_seed(3)
    n_tags = 5
    lengths = torch.tensor([5, 3, 4])
    emissions = torch.randn(3, 5, n_tags) * 2
    return emissions, lengths, torch.randn(n_tags, n_tags), torch.randn(n_tags), torch.randn(n_tags)


def test_log_z_equals_enumeration(crf):
    emissions, lengths, trans, start, end = crf
    flat = emissions[lengths_to_mask(lengths, emissions.shape[1])]
    _, _, log_z = forward_backward(flat, pack_layout(lengths), trans, start, end)
    for b, n in enumerate(lengths.tolist()):
        paths = itertools.product(range(emissions.shape[2]), repeat=n)
        expected = torch.logsumexp(torch.stack([_score(emissions[b], p, trans, start, end) for p in paths]), 0)
        assert torch.allclose(log_z[b], expected, atol=1e-4)


@pytest.mark.parametrize("scheme", ["BIO", "BILUO"])
def test_entity_probability_equals_enumeration(crf, scheme):
    """P(entity) sums every whole labelling that contains exactly that entity."""
    emissions, lengths, trans, start, end = crf
    labels = ["A", "B"] if scheme == "BIO" else ["A"]
    tags = get_tags(labels, scheme)
    assert len(tags) == emissions.shape[2]
    # As in use: invalid sequences are ruled out by the constraints.
    allowed = tuple(torch.from_numpy(m) for m in allowed_transitions(tags, scheme))
    trans, start, end = apply_constraints(trans, start, end, allowed)
    a_trans, a_start, a_end = allowed

    def valid(path):
        return bool(a_start[path[0]] and a_end[path[-1]]) and all(
            bool(a_trans[x, y]) for x, y in zip(path, path[1:])
        )
    paths, _ = viterbi_decode(emissions, lengths, trans, start, end)
    spans, entities = [], []
    for b, n in enumerate(lengths.tolist()):
        for s, e, label in tag_ids_to_offsets(paths[b, :n].tolist(), tags, scheme):
            spans.append((b, s, e))
            entities.append((b, s, e, label))
    assert spans, "the fixture must decode some entities"
    cont = torch.from_numpy(continuation_ids(tags, scheme))
    mask = lengths_to_mask(lengths, emissions.shape[1])
    got = span_log_probs(emissions[mask], lengths, trans, start, end, paths[mask], torch.tensor(spans), cont)
    for (b, s, e, label), value in zip(entities, got):
        n = int(lengths[b])
        everything, containing = [], []
        for path in filter(valid, itertools.product(range(len(tags)), repeat=n)):
            score = _score(emissions[b], path, trans, start, end)
            everything.append(score)
            if (s, e, label) in tag_ids_to_offsets(path, tags, scheme):
                containing.append(score)
        expected = torch.logsumexp(torch.stack(containing), 0) - torch.logsumexp(torch.stack(everything), 0)
        assert torch.allclose(value, expected, atol=1e-4), (scheme, s, e, label)


def test_marginals_of_a_sequence_do_not_depend_on_the_batch(crf):
    """Alpha/beta of a sequence are the same alone and in a batch of other
    lengths (the packed recursions slice the batch per step)."""
    emissions, lengths, trans, start, end = crf
    flat = emissions[lengths_to_mask(lengths, emissions.shape[1])]
    alpha, beta, log_z = forward_backward(flat, pack_layout(lengths), trans, start, end)
    offset = 0
    for b, n in enumerate(lengths.tolist()):
        rows = flat[offset : offset + n]
        a1, b1, z1 = forward_backward(rows, pack_layout(torch.tensor([n])), trans, start, end)
        assert torch.allclose(alpha[offset : offset + n], a1, atol=1e-5)
        assert torch.allclose(beta[offset : offset + n], b1, atol=1e-5)
        assert torch.allclose(log_z[b], z1[0], atol=1e-5)
        offset += n
