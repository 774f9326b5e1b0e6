"""The lattice's likelihood and gradient against pytorch-crf and brute-force enumeration."""
import itertools

import numpy
import pytest
import torch

from torch_crf import crf_nll, lattice, lengths_to_mask, path_score, penalise, reference_crf


@pytest.mark.parametrize("seed", range(3))
def test_nll_equals_pytorch_crf(seed):
    crf = reference_crf(5, seed)
    lengths = torch.tensor([6, 2, 4])
    emissions = torch.randn(3, 6, 5)
    gold = torch.randint(0, 5, (3, 6))
    mask = lengths_to_mask(lengths, 6)
    expected = -crf(emissions, gold, mask, reduction="sum")
    got = crf_nll(emissions, gold.masked_fill(~mask, -1), lengths, crf.transitions,
                  crf.start_transitions, crf.end_transitions)
    assert torch.allclose(got, expected, atol=1e-4)


def test_nll_with_missing_tags_marginalises_brute_force():
    torch.manual_seed(0)
    n_tags, length = 3, 4
    em = torch.randn(1, length, n_tags)
    trans, start, end = torch.randn(n_tags, n_tags), torch.randn(n_tags), torch.randn(n_tags)
    gold = torch.tensor([[2, -1, 0, -1]])
    scores, consistent = [], []
    for path in itertools.product(range(n_tags), repeat=length):
        s = path_score(em[0], path, trans, start, end)
        scores.append(s)
        if path[0] == 2 and path[2] == 0:
            consistent.append(s)
    expected = torch.logsumexp(torch.stack(scores), 0) - torch.logsumexp(torch.stack(consistent), 0)
    got = crf_nll(em, gold, torch.tensor([length]), trans, start, end)
    assert torch.allclose(got, expected, atol=1e-4)


def test_nll_gradients_equal_pytorch_crf():
    """The packed likelihood gives pytorch-crf's gradients for emissions and
    parameters, on unsorted lengths."""
    crf = reference_crf(6, 7)
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


def _brute_force_nll(em, gold, trans, start, end):
    """-log P(gold) of one sequence by enumerating every path, differentiable;
    gold -1: any tag."""
    n_tags, length = em.shape[1], em.shape[0]
    scores, consistent = [], []
    for path in itertools.product(range(n_tags), repeat=length):
        s = path_score(em, path, trans, start, end)
        scores.append(s)
        if all(g < 0 or g == p for g, p in zip(gold.tolist(), path)):
            consistent.append(s)
    return torch.logsumexp(torch.stack(scores), 0) - torch.logsumexp(torch.stack(consistent), 0)


@pytest.mark.parametrize("gold", [[1, -1, 0, -1], [1, 0, 2, 2], [-1, -1, -1, 1]])
def test_nll_gradients_equal_brute_force_with_constraints_and_missing_tags(gold):
    """The hand-written gradient (marginals minus the gold side's) equals
    autograd through path enumeration, for every score tensor, with very
    negative (finite) transitions and starts and with missing tags."""
    torch.manual_seed(1)
    n_tags, length = 3, 4
    em = torch.randn(length, n_tags, dtype=torch.float64) * 3
    raw = [torch.randn(n_tags, n_tags, dtype=torch.float64), torch.randn(n_tags, dtype=torch.float64),
           torch.randn(n_tags, dtype=torch.float64)]
    allowed = (torch.ones(n_tags, n_tags, dtype=torch.bool).fill_diagonal_(False),
               torch.tensor([True, True, False]), torch.ones(n_tags, dtype=torch.bool))
    gold = torch.tensor(gold)
    grads = []
    for nll in (lambda e, t, s, n: crf_nll(e[None], gold[None], torch.tensor([length]), t, s, n),
                lambda e, t, s, n: _brute_force_nll(e, gold, t, s, n)):
        leaves = [x.clone().requires_grad_(True) for x in [em] + raw]
        value = nll(leaves[0], *penalise(*leaves[1:], allowed))
        value.backward()
        grads.append([value.detach()] + [leaf.grad for leaf in leaves])
    for ours, expected in zip(*grads):
        assert torch.allclose(ours, expected, atol=1e-6)


def test_nll_of_long_confident_sequences_equals_pytorch_crf_in_float64():
    """Sequences of 400 steps with emissions 50 apart: no underflow, no drift."""
    crf = reference_crf(5, 3)
    crf.double()
    lengths = torch.tensor([400, 7, 130])
    mask = lengths_to_mask(lengths, 400)
    emissions = (torch.randn(3, 400, 5, dtype=torch.float64) * 50).requires_grad_(True)
    gold = torch.randint(0, 5, (3, 400))
    (-crf(emissions, gold, mask, reduction="sum")).backward()
    ours = emissions.detach().clone().requires_grad_(True)
    value = crf_nll(ours, gold.masked_fill(~mask, -1), lengths, crf.transitions.detach(),
                    crf.start_transitions.detach(), crf.end_transitions.detach())
    value.backward()
    expected = -crf(emissions.detach(), gold, mask, reduction="sum")
    assert torch.isfinite(value) and torch.allclose(value, expected, rtol=1e-9)
    assert torch.allclose(ours.grad, emissions.grad, atol=1e-9)


def test_nll_without_an_allowed_gold_path_is_refused():
    """Gold that starts with a forbidden tag has no path: an error, not NaN."""
    em = torch.randn(1, 3, 3)
    allowed = (torch.ones(3, 3, dtype=torch.bool), torch.tensor([True, True, False]), torch.ones(3, dtype=torch.bool))
    zeros = torch.zeros(3, 3), torch.zeros(3), torch.zeros(3)
    with pytest.raises(ValueError, match="no allowed path through 1 sequence"):
        lattice(em, torch.tensor([3]), *zeros, allowed).nll(numpy.asarray([2, -1, 0]))
