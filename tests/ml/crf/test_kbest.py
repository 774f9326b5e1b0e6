"""k-best Viterbi, path probabilities and entropy against brute-force enumeration."""
import itertools

import numpy
import pytest
import torch

from spacy_bilstm_crf.pipeline._ner.tags import allowed_transitions, get_tags

from torch_crf import lattice


def _enumerate(em, trans, start, end, valid=None):
    """Every path of one sequence with its score, best first (float64)."""
    em, trans, start, end = (x.double() for x in (em, trans, start, end))
    out = []
    for path in itertools.product(range(em.shape[1]), repeat=em.shape[0]):
        if valid is not None and not valid(path):
            continue
        score = start[path[0]] + end[path[-1]] + sum(em[t, p] for t, p in enumerate(path))
        score = score + sum(trans[a, b] for a, b in zip(path, path[1:]))
        out.append((float(score), path))
    return sorted(out, key=lambda item: -item[0])


def _random_batch(seed, n_tags, n_seqs, max_len):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, max_len + 1, (n_seqs,), generator=g)
    flat = torch.randn(int(lengths.sum()), n_tags, generator=g) * 2
    params = torch.randn(n_tags, n_tags, generator=g), torch.randn(n_tags, generator=g), torch.randn(n_tags, generator=g)
    return flat, lengths, params


def _check_against_enumeration(flat, lengths, params, k, allowed=None, valid=None):
    paths, scores = lattice(flat, lengths, *params, allowed).kbest(k)
    offset = 0
    for b, n in enumerate(lengths.tolist()):
        expected = _enumerate(flat[offset : offset + n], *params, valid)
        for r in range(k):
            if r < len(expected):
                assert scores[b, r] == pytest.approx(expected[r][0], abs=1e-4), (b, r)
                assert tuple(paths[r, offset : offset + n].tolist()) == expected[r][1], (b, r)
            else:
                assert scores[b, r] == -numpy.inf, (b, r)
        offset += n


@pytest.mark.parametrize("seed", range(12))
def test_kbest_equals_enumeration_without_constraints(seed):
    """Scores and order of the k best equal brute force, in a batch of
    sequences of different lengths; k above the number of paths too."""
    n_tags = 2 + seed % 3
    flat, lengths, params = _random_batch(seed, n_tags, n_seqs=4, max_len=4)
    _check_against_enumeration(flat, lengths, params, k=1 + seed % 11)


def test_first_path_is_todays_viterbi():
    for seed in range(5):
        flat, lengths, params = _random_batch(100 + seed, 9, n_seqs=30, max_len=25)
        paths, scores = lattice(flat, lengths, *params).kbest(5)
        tags, best = lattice(flat, lengths, *params).viterbi()
        numpy.testing.assert_array_equal(paths[0], tags)
        numpy.testing.assert_allclose(scores[:, 0], best, rtol=1e-6)
        assert (numpy.diff(scores, axis=1) <= 1e-5).all()


@pytest.mark.parametrize("scheme,labels", [("BILUO", ["A"]), ("BIO", ["A", "B"])])
def test_kbest_under_constraints_is_the_valid_enumeration(scheme, labels):
    """Every path is valid; the k best are the best valid ones; a sequence
    with fewer valid paths than k gets -inf for the rest."""
    tags = get_tags(labels, scheme)
    allowed = tuple(torch.from_numpy(m) for m in allowed_transitions(tags, scheme))
    a_trans, a_start, a_end = (m.numpy() for m in allowed)

    def valid(path):
        return a_start[path[0]] and a_end[path[-1]] and all(a_trans[a, b] for a, b in zip(path, path[1:]))

    for seed in range(4):
        flat, lengths, params = _random_batch(200 + seed, len(tags), n_seqs=3, max_len=4)
        _check_against_enumeration(flat, lengths, params, k=60, allowed=allowed, valid=valid)


def test_probabilities_of_all_paths_sum_to_one_and_entropy():
    g = torch.Generator().manual_seed(7)
    lengths = torch.tensor([4, 2])
    flat = torch.randn(6, 3, generator=g) * 2
    params = torch.randn(3, 3, generator=g), torch.randn(3, generator=g), torch.randn(3, generator=g)
    k = 3 ** 4
    lat = lattice(flat, lengths, *params)
    paths, scores = lat.kbest(k)
    log_probs, entropy = lat.path_log_probs(paths, scores > -numpy.inf, entropy=True)
    probs = numpy.exp(log_probs)
    numpy.testing.assert_allclose(probs.sum(axis=1), [1.0, 1.0], atol=1e-9)
    assert (probs[1, 9:] == 0).all()  # 3 ** 2 paths only
    offset = 0
    for b, n in enumerate(lengths.tolist()):
        expected = _enumerate(flat[offset : offset + n], *params)
        p = numpy.exp(numpy.array([s for s, _ in expected]) - numpy.logaddexp.reduce([s for s, _ in expected]))
        numpy.testing.assert_allclose(probs[b, : len(p)], p, rtol=1e-5)
        assert entropy[b] == pytest.approx(float(-(p * numpy.log(p)).sum()), abs=1e-8)
        offset += n


def test_kbest_does_not_depend_on_the_batch():
    flat, lengths, params = _random_batch(11, 7, n_seqs=6, max_len=12)
    paths, scores = lattice(flat, lengths, *params).kbest(4)
    offset = 0
    for b, n in enumerate(lengths.tolist()):
        alone, alone_scores = lattice(flat[offset : offset + n], lengths[b : b + 1], *params).kbest(4)
        numpy.testing.assert_array_equal(paths[:, offset : offset + n], alone)
        numpy.testing.assert_allclose(scores[b], alone_scores[0], rtol=1e-6)
        offset += n
