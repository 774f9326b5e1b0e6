"""What the CRF computes, recorded as plain JSON: the outputs that must not
change when its code is reorganised.

Two parts. `pipeline_outputs`: the saved compat pipelines (tests/fixtures/
compat_pipeline_v1, a softmax head and a CRF head) with every decoding
option: doc.ents, the entity probabilities, the n best analyses with their
probabilities, the uncertainty, the label alternatives, at temperature 1
and 1.7; and `get_loss` on a fixed batch (full and partial gold): the loss,
the gradient of the scores and of the CRF's parameters. `lattice_outputs`:
the CRF algorithms on random scores (no constraints, BILUO, BIO): log Z,
marginals, Viterbi, k best, path probabilities, entropy, span
probabilities, the likelihood and its gradient.

    python tests/ml/crf/crf_capture.py tests/ml/crf/crf_capture.json

writes the record; tests/ml/crf/test_crf_capture.py compares the code of the
day with it.
"""
import json
import sys
from pathlib import Path
from typing import Any, Dict, List

import numpy
import spacy
import torch
from spacy.training import Example

from spacy_bilstm_crf.ml.crf import Lattice, forbid
from spacy_bilstm_crf.pipeline._ner.tags import allowed_transitions, continuation_ids, get_tags, tag_ids_to_offsets

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "compat_pipeline_v1"
NAME = "bilstm_crf_ner"
TEXTS = [
    "Shaka Khan visited London.",
    "I like Paris. Anna Schmidt lives in Berlin.",
    "Nothing here.",
    "",
    "Berlin",
    "Anna Khan and Shaka Schmidt met in London, Paris and Berlin. Who is Anna? I like Berlin.",
]
SETTINGS = {
    "plain": {},
    "no_scores": {"spans_key": None},
    "all": {"n_best": 4, "uncertainty": True, "alternatives": True},
    "all_t1.7": {"n_best": 4, "uncertainty": True, "alternatives": True, "temperature": 1.7},
    "scores_t1.7": {"temperature": 1.7},
}
GOLD = [
    ("Shaka Khan visited London.", ["B-PERSON", "L-PERSON", "O", "U-LOC", "O"]),
    ("I like Paris. Anna Schmidt lives in Berlin.", ["O", "O", "U-LOC", "O", "B-PERSON", "L-PERSON", "O", "O",
                                                     "U-LOC", "O"]),
    ("Anna met Shaka in Paris.", ["U-PERSON", "-", "-", "O", "U-LOC", "-"]),
]


def plain(value: Any) -> Any:
    """numpy/torch values as JSON (float64 reprs round-trip exactly)."""
    if isinstance(value, torch.Tensor):
        value = value.detach().numpy()
    if isinstance(value, numpy.ndarray):
        return value.tolist()
    if isinstance(value, (numpy.floating, numpy.integer)):
        return value.item()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def _doc_record(doc) -> Dict:
    out: Dict[str, Any] = {"ents": [[e.start, e.end, e.label_] for e in doc.ents]}
    for key, group in sorted(doc.spans.items()):
        out[key] = {"spans": [[s.start, s.end, s.label_] for s in group], "attrs": plain(dict(group.attrs))}
    return out


def pipeline_outputs() -> Dict:
    out: Dict[str, Any] = {}
    for name in ("bilstm", "bilstm_crf"):
        nlp = spacy.load(FIXTURE / name)
        ner = nlp.get_pipe(NAME)
        defaults = {key: getattr(ner, key) for config in SETTINGS.values() for key in config}
        for setting, config in SETTINGS.items():
            for key, value in {**defaults, **config}.items():
                setattr(ner, key, value)  # settings of use, not of the model
            out[f"{name}/{setting}"] = [_doc_record(doc) for doc in nlp.pipe(TEXTS)]
        out[f"{name}/loss"] = _loss(nlp)
    return out


def _loss(nlp) -> Dict:
    ner = nlp.get_pipe(NAME)
    examples = []
    for text, tags in GOLD:
        doc = nlp(text)  # sentence boundaries from the sentencizer
        ref = nlp.make_doc(text)
        examples.append(Example.from_dict(ref, {"entities": tags}))
        examples[-1].predicted = doc
    scores = ner.model.predict([eg.predicted for eg in examples])
    record: Dict[str, Any] = {}
    if ner.model.has_ref("crf"):
        crf = ner.model.get_ref("crf")
        for param in crf.param_names:
            crf.set_grad(param, crf.ops.alloc(crf.get_param(param).shape))
    loss, d_scores = ner.get_loss(examples, scores)
    record["loss"] = float(loss)
    record["d_scores"] = plain(d_scores)
    if ner.model.has_ref("crf"):
        record["param_grads"] = {p: plain(crf.get_grad(p)) for p in crf.param_names}
    return record


def _random(seed: int, n_tags: int, lengths: List[int]):
    g = numpy.random.default_rng(seed)
    flat = (g.normal(size=(sum(lengths), n_tags)) * 3).astype("float32")
    params = [g.normal(size=shape).astype("float32") for shape in ((n_tags, n_tags), (n_tags,), (n_tags,))]
    return (flat, numpy.asarray(lengths), *params)


def lattice_outputs() -> Dict:
    out: Dict[str, Any] = {}
    lengths = [7, 1, 12, 3, 12, 5]
    for scheme, labels in (("none", ["A", "B"]), ("BILUO", ["A", "B"]), ("BIO", ["A", "B", "C"])):
        scheme_name = "BILUO" if scheme == "none" else scheme
        tags = get_tags(labels, scheme_name)
        flat, lens, trans, start, end = _random(len(out), len(tags), lengths)
        allowed = None if scheme == "none" else allowed_transitions(tags, scheme_name)
        out[scheme] = _lattice_record(flat, lens, (trans, start, end), allowed, tags, scheme_name)
    return out


def _lattice_record(flat, lengths, scores, allowed, tags, scheme) -> Dict:
    """Everything the lattice gives for one batch, through the public API of the day."""
    lattice = Lattice(flat.astype("float32"), lengths, forbid(scores, allowed))
    record: Dict[str, Any] = {"log_z": lattice.log_z, "marginals": lattice.marginals, "pair": lattice.pair_marginals}
    best, best_scores = lattice.viterbi()
    record["viterbi"] = [best, best_scores]
    paths, path_scores = lattice.kbest(5)
    record["kbest"] = [paths, path_scores]
    log_p, entropy = lattice.path_log_probs(paths, path_scores > -numpy.inf, entropy=True)
    record["path_log_probs"] = log_p
    record["entropy"] = entropy
    offsets = numpy.cumsum(lengths) - lengths
    spans = [(b, s, e) for b, (o, n) in enumerate(zip(offsets, lengths))
             for s, e, _ in tag_ids_to_offsets(best[o : o + n], tags, scheme)]
    spans = numpy.asarray(spans, dtype="int64").reshape(-1, 3)
    record["spans"] = spans
    record["span_log_probs"] = lattice.span_log_probs(best, spans, continuation_ids(tags, scheme))
    gold = best.copy()
    record["nll"] = _nll(lattice, gold)
    gold[::3] = -1
    record["nll_missing"] = _nll(lattice, gold)
    return plain(record)


def _nll(lattice, gold) -> Dict:
    value, d_em, d_trans, d_start, d_end = lattice.nll(gold)
    return {"value": value, "d_em": d_em, "d_trans": d_trans, "d_start": d_start, "d_end": d_end}


def capture() -> Dict:
    return {"pipeline": pipeline_outputs(), "lattice": lattice_outputs()}


if __name__ == "__main__":
    torch.set_num_threads(1)
    Path(sys.argv[1]).write_text(json.dumps(capture(), indent=None), encoding="utf8")
