"""The lattice's Viterbi against pytorch-crf and brute-force enumeration."""
import itertools

import pytest
import torch

from spacy_bilstm_crf.pipeline._ner.tags import allowed_transitions, get_tags

from torch_crf import lengths_to_mask, path_score, reference_crf, viterbi_decode


@pytest.mark.parametrize("seed", range(5))
def test_viterbi_equals_pytorch_crf(seed):
    crf = reference_crf(7, seed)
    lengths = torch.tensor([9, 1, 5, 9, 3])
    emissions = torch.randn(5, 9, 7)
    mask = lengths_to_mask(lengths, 9)
    expected = crf.decode(emissions, mask)
    paths, _ = viterbi_decode(emissions, lengths, crf.transitions, crf.start_transitions, crf.end_transitions)
    got = [paths[i, : lengths[i]].tolist() for i in range(5)]
    assert got == expected


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_viterbi_finds_brute_force_best_path_and_score(dtype):
    torch.manual_seed(3)
    n_tags = 3
    lengths = torch.tensor([2, 4, 1])
    em = torch.randn(3, 4, n_tags, dtype=dtype)
    trans, start, end = (torch.randn(n_tags, n_tags, dtype=dtype), torch.randn(n_tags, dtype=dtype),
                         torch.randn(n_tags, dtype=dtype))
    paths, scores = viterbi_decode(em, lengths, trans, start, end)
    assert scores.dtype == dtype
    for i, length in enumerate(lengths.tolist()):
        candidates = {path: path_score(em[i], path, trans, start, end).item()
                      for path in itertools.product(range(n_tags), repeat=length)}
        best = max(candidates, key=candidates.get)
        assert tuple(paths[i, :length].tolist()) == best
        assert scores[i].item() == pytest.approx(candidates[best], abs=1e-5)


def test_constrained_viterbi_is_always_valid():
    tags = get_tags(["A", "B"], "BILUO")
    allowed = tuple(torch.from_numpy(m) for m in allowed_transitions(tags, "BILUO"))
    torch.manual_seed(1)
    emissions = torch.randn(64, 12, len(tags)) * 5
    lengths = torch.randint(1, 13, (64,))
    zeros = torch.zeros(len(tags), len(tags)), torch.zeros(len(tags)), torch.zeros(len(tags))
    paths, _ = viterbi_decode(emissions, lengths, *zeros, allowed=allowed)
    a_trans, a_start, a_end = allowed
    for i in range(64):
        path = paths[i, : lengths[i]].tolist()
        assert a_start[path[0]] and a_end[path[-1]]
        assert all(a_trans[x, y] for x, y in zip(path, path[1:]))
