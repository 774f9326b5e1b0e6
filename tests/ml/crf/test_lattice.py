"""The lattice with -inf scores: forbidden transitions (`forbid`) and
emissions ruled out at some tokens (pre-set entities). Every answer equals
enumeration over the paths that remain; no path left is an error."""
import itertools

import numpy
import pytest

from spacy_bilstm_crf.ml.crf import Lattice, forbid
from spacy_bilstm_crf.pipeline._ner.tags import (
    allowed_transitions, continuation_ids, get_tags, relabel_ids, tag_ids_to_offsets,
)


def _batch(seed, scheme, labels, lengths):
    tags = get_tags(labels, scheme)
    g = numpy.random.default_rng(seed)
    em = (g.normal(size=(sum(lengths), len(tags))) * 2).astype("float32")
    params = [g.normal(size=s).astype("float32") for s in ((len(tags), len(tags)), (len(tags),), (len(tags),))]
    # Rule tags out at some tokens, leaving 1-2 (as a pre-set entity does).
    for row in g.choice(len(em), size=len(em) // 3, replace=False):
        keep = g.choice(len(tags), size=1 + row % 2, replace=False)
        em[row, numpy.setdiff1d(numpy.arange(len(tags)), keep)] = -numpy.inf
    return tags, em, numpy.asarray(lengths), forbid(params, allowed_transitions(tags, scheme))


def _paths(em, scores):
    """Every path of one sequence with a finite score: {path: score} (float64)."""
    tr, st, en = (x.astype("float64") for x in scores)
    out = {}
    for path in itertools.product(range(em.shape[1]), repeat=em.shape[0]):
        s = st[path[0]] + en[path[-1]] + sum(float(em[t, p]) for t, p in enumerate(path))
        s += sum(tr[a, b] for a, b in zip(path, path[1:]))
        if s > -numpy.inf:
            out[path] = s
    return out


# Seeds where every sequence keeps at least one path (some keep only one).
@pytest.fixture(params=[("BILUO", ["A"], 1), ("BILUO", ["A"], 17), ("BIO", ["A", "B"], 2), ("BIO", ["A", "B"], 16)])
def case(request):
    scheme, labels, seed = request.param
    tags, em, lengths, scores = _batch(seed, scheme, labels, [4, 1, 3, 5, 2])
    offsets = numpy.cumsum(lengths) - lengths
    per_seq = [_paths(em[o : o + n], scores) for o, n in zip(offsets, lengths)]
    assert all(per_seq)
    return scheme, tags, em, lengths, scores, offsets, per_seq


def test_viterbi_kbest_log_z_marginals_with_inf_scores_equal_enumeration(case):
    scheme, tags, em, lengths, scores, offsets, per_seq = case
    lattice = Lattice(em, lengths, scores)
    best, best_scores = lattice.viterbi()
    paths, path_scores = lattice.kbest(6)
    log_p, entropy = lattice.path_log_probs(paths, path_scores > -numpy.inf, entropy=True)
    marginals = lattice.marginals
    for b, (o, n, found) in enumerate(zip(offsets, lengths, per_seq)):
        ranked = sorted(found.items(), key=lambda item: -item[1])
        assert tuple(best[o : o + n]) == ranked[0][0]
        assert best_scores[b] == pytest.approx(ranked[0][1], abs=1e-4)
        for r in range(6):
            if r < len(ranked):
                assert path_scores[b, r] == pytest.approx(ranked[r][1], abs=1e-4)
            else:
                assert path_scores[b, r] == -numpy.inf
        values = numpy.asarray([s for _, s in ranked])
        log_z = numpy.logaddexp.reduce(values)
        assert lattice.log_z[b] == pytest.approx(log_z, abs=1e-4)
        p = numpy.exp(values - log_z)
        numpy.testing.assert_allclose(numpy.exp(log_p[b, : min(6, len(p))]), p[:6], atol=1e-5)
        assert entropy[b] == pytest.approx(float(-(p * numpy.log(p)).sum()), abs=1e-5)
        expected = numpy.zeros((n, len(tags)))
        for path, weight in zip((path for path, _ in ranked), p):
            expected[numpy.arange(n), list(path)] += weight
        numpy.testing.assert_allclose(marginals[o : o + n], expected, atol=1e-5)
        assert (marginals[o : o + n][em[o : o + n] == -numpy.inf] == 0).all()


def test_likelihood_and_span_probabilities_with_inf_scores_equal_enumeration(case):
    scheme, tags, em, lengths, scores, offsets, per_seq = case
    lattice = Lattice(em, lengths, scores)
    best, _ = lattice.viterbi()
    gold = best.copy()
    gold[::3] = -1
    out = lattice.nll(gold)
    expected_value = 0.0
    expected_d = numpy.zeros(em.shape)
    for o, n, found in zip(offsets, lengths, per_seq):
        values = numpy.asarray(list(found.values()))
        agree = [s for path, s in found.items() if all(g < 0 or g == t for g, t in zip(gold[o : o + n], path))]
        expected_value += numpy.logaddexp.reduce(values) - numpy.logaddexp.reduce(agree)
        for path, s in found.items():
            free = numpy.exp(s - numpy.logaddexp.reduce(values))
            on_gold = all(g < 0 or g == t for g, t in zip(gold[o : o + n], path))
            clamped = numpy.exp(s - numpy.logaddexp.reduce(agree)) if on_gold else 0.0
            expected_d[o + numpy.arange(n), list(path)] += free - clamped
    assert out.value == pytest.approx(expected_value, abs=1e-6)
    numpy.testing.assert_allclose(out.d_em, expected_d, atol=1e-6)
    assert numpy.isfinite(out.d_transitions).all() and numpy.isfinite(out.d_start).all()
    spans = numpy.asarray([(b, s, e) for b, (o, n) in enumerate(zip(offsets, lengths))
                           for s, e, _ in tag_ids_to_offsets(best[o : o + n], tags, scheme)]).reshape(-1, 3)
    got = lattice.span_log_probs(best, spans, continuation_ids(tags, scheme))
    for (b, s, e), value in zip(spans, got):
        found = per_seq[b]
        label = tag_ids_to_offsets(best[offsets[b] : offsets[b] + lengths[b]], tags, scheme)
        entity = next(x for x in label if x[:2] == (s, e))
        values = numpy.asarray(list(found.values()))
        containing = [v for path, v in found.items() if entity in tag_ids_to_offsets(path, tags, scheme)]
        assert value == pytest.approx(numpy.logaddexp.reduce(containing) - numpy.logaddexp.reduce(values), abs=1e-6)


def test_no_path_left_is_an_error_not_a_path():
    tags = get_tags(["A"], "BILUO")
    em = numpy.zeros((3, len(tags)), dtype="float32")
    em[1] = -numpy.inf  # every tag ruled out at token 1
    scores = forbid([numpy.zeros((5, 5), "float32"), numpy.zeros(5, "float32"), numpy.zeros(5, "float32")],
                    allowed_transitions(tags, "BILUO"))
    lattice = Lattice(em, numpy.asarray([3]), scores)
    for ask in (lattice.viterbi, lambda: lattice.kbest(3), lambda: lattice.span_log_probs(
            numpy.zeros(3, "int64"), numpy.asarray([[0, 0, 1]]))):
        with pytest.raises(ValueError, match="E070"):
            ask()
    with pytest.raises(ValueError, match="E417"):
        lattice.nll(numpy.asarray([0, -1, 0]))
    # Allowed tags only where the scheme forbids them (I after O): no path either.
    em = numpy.full((2, len(tags)), -numpy.inf, dtype="float32")
    em[0, 0], em[1, tags.index("I-A")] = 0.0, 0.0
    with pytest.raises(ValueError, match="E070"):
        Lattice(em, numpy.asarray([2]), scores).viterbi()


def test_a_forbidden_gold_tag_is_refused():
    """Gold that takes a forbidden move (-inf) has no path: E417, not inf."""
    tags = get_tags(["A"], "BILUO")
    scores = forbid([numpy.zeros((5, 5), "float32"), numpy.zeros(5, "float32"), numpy.zeros(5, "float32")],
                    allowed_transitions(tags, "BILUO"))
    lattice = Lattice(numpy.zeros((6, len(tags)), "float32"), numpy.asarray([3, 3]), scores)
    gold = numpy.asarray([0, tags.index("I-A"), 0, 0, 0, 0])
    with pytest.raises(ValueError, match="no allowed path through 1 sequence"):
        lattice.nll(gold)


def test_span_probabilities_under_another_label_with_inf_scores(case):
    """The label alternatives' question: each decoded span relabelled at
    once. A span whose new label is ruled out at one of its tokens gets
    probability 0; the others are unaffected by it (enumeration)."""
    scheme, tags, em, lengths, scores, offsets, per_seq = case
    labels = sorted({t[2:] for t in tags if t != "O"})
    lattice = Lattice(em, lengths, scores)
    best, _ = lattice.viterbi()
    entities = [(b, s, e) for b, (o, n) in enumerate(zip(offsets, lengths))
                for s, e, _ in tag_ids_to_offsets(best[o : o + n], tags, scheme)]
    spans = numpy.asarray(entities).reshape(-1, 3)
    assert len(spans)

    seen_impossible = False
    for label in labels:
        path = best.copy()
        for b, s, e in spans:
            rows = offsets[b] + numpy.arange(s, e)
            path[rows] = relabel_ids(tags, label)[best[rows]]
        got = lattice.span_log_probs(path, spans, continuation_ids(tags, scheme))
        for (b, s, e), value in zip(spans, got):
            found = per_seq[b]
            entity = (int(s), int(e), label)
            containing = [v for p, v in found.items() if entity in tag_ids_to_offsets(p, tags, scheme)]
            if not containing:
                seen_impossible = True
                assert value == -numpy.inf
            else:
                expected = numpy.logaddexp.reduce(containing) - numpy.logaddexp.reduce(list(found.values()))
                assert value == pytest.approx(expected, abs=1e-6)
    assert seen_impossible or len(labels) == 1
