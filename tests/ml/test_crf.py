"""The CRF algorithms against pytorch-crf and brute-force enumeration."""
import itertools

import pytest
import torch
from torchcrf import CRF

from spacy_bilstm_crf.ml.crf import apply_constraints, crf_nll, lengths_to_mask, viterbi_decode
from spacy_bilstm_crf.pipeline._ner.tags import allowed_transitions, get_tags


def _reference(n_tags, seed):
    torch.manual_seed(seed)
    crf = CRF(n_tags, batch_first=True)
    for p in crf.parameters():
        torch.nn.init.normal_(p)
    return crf


@pytest.mark.parametrize("seed", range(5))
def test_viterbi_equals_pytorch_crf(seed):
    crf = _reference(7, seed)
    lengths = torch.tensor([9, 1, 5, 9, 3])
    emissions = torch.randn(5, 9, 7)
    mask = lengths_to_mask(lengths, 9)
    expected = crf.decode(emissions, mask)
    paths, _ = viterbi_decode(emissions, lengths, crf.transitions, crf.start_transitions, crf.end_transitions)
    got = [paths[i, : lengths[i]].tolist() for i in range(5)]
    assert got == expected


@pytest.mark.parametrize("seed", range(3))
def test_nll_equals_pytorch_crf(seed):
    crf = _reference(5, seed)
    lengths = torch.tensor([6, 2, 4])
    emissions = torch.randn(3, 6, 5)
    gold = torch.randint(0, 5, (3, 6))
    mask = lengths_to_mask(lengths, 6)
    expected = -crf(emissions, gold, mask, reduction="sum")
    got = crf_nll(emissions, gold.masked_fill(~mask, -1), lengths, crf.transitions,
                  crf.start_transitions, crf.end_transitions)
    assert torch.allclose(got, expected, atol=1e-4)


def _path_score(em, path, trans, start, end):
    s = start[path[0]] + em[0, path[0]]
    for t in range(1, len(path)):
        s = s + trans[path[t - 1], path[t]] + em[t, path[t]]
    return s + end[path[-1]]


def test_nll_with_missing_tags_marginalises_brute_force():
    torch.manual_seed(0)
    n_tags, length = 3, 4
    em = torch.randn(1, length, n_tags)
    trans, start, end = torch.randn(n_tags, n_tags), torch.randn(n_tags), torch.randn(n_tags)
    gold = torch.tensor([[2, -1, 0, -1]])
    scores, consistent = [], []
    for path in itertools.product(range(n_tags), repeat=length):
        s = _path_score(em[0], path, trans, start, end)
        scores.append(s)
        if path[0] == 2 and path[2] == 0:
            consistent.append(s)
    expected = torch.logsumexp(torch.stack(scores), 0) - torch.logsumexp(torch.stack(consistent), 0)
    got = crf_nll(em, gold, torch.tensor([length]), trans, start, end)
    assert torch.allclose(got, expected, atol=1e-4)


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
        candidates = {path: _path_score(em[i], path, trans, start, end).item()
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
    trans, start, end = apply_constraints(*zeros, allowed)
    paths, _ = viterbi_decode(emissions, lengths, trans, start, end)
    a_trans, a_start, a_end = allowed
    for i in range(64):
        path = paths[i, : lengths[i]].tolist()
        assert a_start[path[0]] and a_end[path[-1]]
        assert all(a_trans[x, y] for x, y in zip(path, path[1:]))


def test_nll_gradients_equal_pytorch_crf():
    """The packed likelihood gives pytorch-crf's gradients for emissions and
    parameters, on unsorted lengths."""
    crf = _reference(6, 7)
    lengths = torch.tensor([3, 8, 1, 5])
    mask = lengths_to_mask(lengths, 8)
    gold = torch.randint(0, 6, (4, 8))
    em_ref = torch.randn(4, 8, 6, requires_grad=True)
    (-crf(em_ref, gold, mask, reduction="sum")).backward()
    em = em_ref.detach().clone().requires_grad_(True)
    params = [p.detach().clone().requires_grad_(True) for p in
              (crf.transitions, crf.start_transitions, crf.end_transitions)]
    crf_nll(em, gold.masked_fill(~mask, -1), lengths, *params).backward()
    assert torch.allclose(em.grad, em_ref.grad, atol=1e-5)
    for ours, theirs in zip(params, (crf.transitions, crf.start_transitions, crf.end_transitions)):
        assert torch.allclose(ours.grad, theirs.grad, atol=1e-5)
