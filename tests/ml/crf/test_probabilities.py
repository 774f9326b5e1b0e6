"""Entity probabilities from forward-backward against brute-force enumeration."""
import itertools

import numpy
import pytest
import torch

from spacy_bilstm_crf.pipeline._ner.tags import allowed_transitions, continuation_ids, get_tags, tag_ids_to_offsets

from torch_crf import lattice, lengths_to_mask, path_score, viterbi_decode


@pytest.fixture
def crf():
    torch.manual_seed(3)
    n_tags = 5
    lengths = torch.tensor([5, 3, 4])
    emissions = torch.randn(3, 5, n_tags) * 2
    return emissions, lengths, torch.randn(n_tags, n_tags), torch.randn(n_tags), torch.randn(n_tags)


def test_log_z_equals_enumeration(crf):
    emissions, lengths, trans, start, end = crf
    log_z = torch.from_numpy(lattice(emissions, lengths, trans, start, end).log_z).float()
    for b, n in enumerate(lengths.tolist()):
        paths = itertools.product(range(emissions.shape[2]), repeat=n)
        expected = torch.logsumexp(torch.stack([path_score(emissions[b], p, trans, start, end) for p in paths]), 0)
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
    a_trans, a_start, a_end = allowed

    def valid(path):
        return bool(a_start[path[0]] and a_end[path[-1]]) and all(
            bool(a_trans[x, y]) for x, y in zip(path, path[1:])
        )
    paths, _ = viterbi_decode(emissions, lengths, trans, start, end, allowed)
    spans, entities = [], []
    for b, n in enumerate(lengths.tolist()):
        for s, e, label in tag_ids_to_offsets(paths[b, :n].tolist(), tags, scheme):
            spans.append((b, s, e))
            entities.append((b, s, e, label))
    assert spans, "the fixture must decode some entities"
    cont = torch.from_numpy(continuation_ids(tags, scheme))
    mask = lengths_to_mask(lengths, emissions.shape[1])
    got = lattice(emissions, lengths, trans, start, end, allowed).span_log_probs(
        paths[mask].numpy(), numpy.asarray(spans), cont.numpy())
    got = torch.from_numpy(got).float()
    for (b, s, e, label), value in zip(entities, got):
        n = int(lengths[b])
        everything, containing = [], []
        for path in filter(valid, itertools.product(range(len(tags)), repeat=n)):
            score = path_score(emissions[b], path, trans, start, end)
            everything.append(score)
            if (s, e, label) in tag_ids_to_offsets(path, tags, scheme):
                containing.append(score)
        expected = torch.logsumexp(torch.stack(containing), 0) - torch.logsumexp(torch.stack(everything), 0)
        assert torch.allclose(value, expected, atol=1e-4), (scheme, s, e, label)


def _log_alpha_beta(lat, n_rows, n_tags):
    rows, tags = numpy.repeat(numpy.arange(n_rows), n_tags), numpy.tile(numpy.arange(n_tags), n_rows)
    return tuple(torch.from_numpy(f(rows, tags).reshape(n_rows, n_tags)) for f in (lat.log_alpha, lat.log_beta))


def test_marginals_of_a_sequence_do_not_depend_on_the_batch(crf):
    """Alpha/beta of a sequence are the same alone and in a batch of other
    lengths (the packed recursions slice the batch per step)."""
    emissions, lengths, trans, start, end = crf
    flat = emissions[lengths_to_mask(lengths, emissions.shape[1])]
    n_tags = flat.shape[1]
    batch = lattice(flat, lengths, trans, start, end)
    alpha, beta = _log_alpha_beta(batch, flat.shape[0], n_tags)
    log_z, marginals = torch.from_numpy(batch.log_z), torch.from_numpy(batch.marginals)
    offset = 0
    for b, n in enumerate(lengths.tolist()):
        rows = flat[offset : offset + n]
        alone = lattice(rows, torch.tensor([n]), trans, start, end)
        a1, b1 = _log_alpha_beta(alone, n, n_tags)
        z1 = torch.from_numpy(alone.log_z)
        assert torch.allclose(alpha[offset : offset + n], a1, atol=1e-5)
        assert torch.allclose(beta[offset : offset + n], b1, atol=1e-5)
        assert torch.allclose(log_z[b], z1[0], atol=1e-5)
        assert torch.allclose(marginals[offset : offset + n], torch.from_numpy(alone.marginals), atol=1e-9)
        offset += n
