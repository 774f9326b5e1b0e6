"""n-best analyses of a trained BiLSTM-CRF: oracle F1, uncertainty, and cost.

1. Oracle entity F1 at k = 1, 2, 5, 10 on a dev set: for every decoded
   sequence (sentence) the analysis among its k best with the fewest
   errors against the gold (false positives + false negatives, earlier rank
   on ties); precision, recall and F1 over the corpus. k = 1 is the model's
   own F1 (checked against doc.ents). A gold entity across a sentence
   boundary counts as missed at every k.
2. Uncertainty for review: sentences sorted by the probability of their best
   analysis; the share of the sentences with an error found in the least
   confident 10% / 20%.
3. Decoding time of k = 2, 5, 10 against k = 1, batch 128, length 50 (lengths
   uniform in [25, 50], like bench_crf), on the model's own emissions (dev
   text cut into windows) and on random ones: the Viterbi alone (the
   lattice's `kbest` vs `viterbi`) and the component's whole decode
   (`decoding.decode`, with and without entity scores). Cases alternate,
   best of --repeats, CPU time of this process.
4. n_best = 1 against the code of main (`--reference`, a git ref): main's
   `decoding.decode` and this one, alternately in one process, and the
   whole pipeline (`nlp.pipe` over the dev texts) with each.

    python -m benchmarks.bench_nbest MODEL DEV.spacy --name conll --output benchmarks/results/nbest/conll.json
    (--no-timing: parts 1-2 only; --no-oracle: parts 3-4 only)
"""
import json
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy
import spacy
import torch
import typer
from spacy.tokens import Doc, DocBin
from wasabi import msg

from spacy_bilstm_crf.pipeline._ner import decoding

from benchmarks.bench_crf import alternate, reference_modules

KS = (1, 2, 5, 10)
NAME = "bilstm_crf_ner"
Spans = List[Tuple[int, int, str]]


def _prf(tp: int, fp: int, fn: int) -> Dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"p": 100 * p, "r": 100 * r, "f": 100 * (2 * p * r / (p + r) if p + r else 0.0)}


def _inputs(nlp, gold_docs: List[Doc], gold_sentences: bool):
    """The dev texts for the pipeline, or (gold_sentences) docs with the gold
    tokens and sentence boundaries, for the pipeline without its sentencizer
    (decoded sequences = gold sentences, as in NCRF++'s oracle)."""
    if not gold_sentences:
        return nlp.pipe((d.text for d in gold_docs), batch_size=64)
    docs = (
        Doc(nlp.vocab, words=[t.text for t in d], spaces=[bool(t.whitespace_) for t in d],
            sent_starts=[bool(t.is_sent_start) for t in d])
        for d in gold_docs
    )
    return nlp.pipe(docs, batch_size=64, disable=[n for n in nlp.pipe_names if n != NAME])


def oracle(nlp, gold_docs: List[Doc], k_max: int, gold_sentences: bool = False) -> Dict:
    """Oracle P/R/F1 at each k, and the ranking of sentences by uncertainty."""
    counts = {k: [0, 0, 0] for k in KS if k <= k_max}
    ents_counts = [0, 0, 0]
    by_sentence: List[Tuple[float, float, bool]] = []  # (best prob, entropy, has an error)
    # Tokenized by the pipeline, as in training and `spacy evaluate`: compare characters.
    for gold, pred in zip(gold_docs, _inputs(nlp, gold_docs, gold_sentences)):
        gold_set = {(e.start_char, e.end_char, e.label_) for e in gold.ents}
        predicted = {(e.start_char, e.end_char, e.label_) for e in pred.ents}
        ents_counts[0] += len(gold_set & predicted)
        ents_counts[1] += len(predicted - gold_set)
        ents_counts[2] += len(gold_set - predicted)
        groups = [pred.spans[f"ents_nbest_{r}"] for r in range(k_max)]
        sequences = groups[0].attrs["sequences"]
        covered = set()
        unsure = pred.spans["ents_scored"].attrs["uncertainty"]["sequences"]
        for i, (start, end) in enumerate(sequences):
            first, last = (pred[start].idx, pred[end - 1].idx + len(pred[end - 1])) if end > start else (0, 0)
            inside = {g for g in gold_set if g[0] >= first and g[1] <= last}
            covered |= inside
            options: List[Spans] = []
            for group in groups:
                if group.attrs["probabilities"][i] is None:
                    break
                options.append([(s.start_char, s.end_char, s.label_) for s in group if start <= s.start < end])
            errors = [len(set(o) - inside) + len(inside - set(o)) for o in options]
            by_sentence.append((unsure[i]["best_probability"], unsure[i]["entropy"], errors[0] > 0))
            for k in counts:
                best = min(range(min(k, len(options))), key=lambda j: (errors[j], j))
                chosen = set(options[best])
                counts[k][0] += len(chosen & inside)
                counts[k][1] += len(chosen - inside)
                counts[k][2] += len(inside - chosen)
        for k in counts:  # gold entities across a sentence boundary: missed
            counts[k][2] += len(gold_set - covered)
    result = {"oracle": {str(k): _prf(*c) for k, c in counts.items()}, "doc_ents": _prf(*ents_counts)}
    probs = numpy.asarray([s[0] for s in by_sentence])
    wrong = numpy.asarray([s[2] for s in by_sentence])
    order = numpy.argsort(probs, kind="stable")
    review = {}
    for share in (0.1, 0.2):
        n = int(round(share * len(order)))
        review[f"errors_in_least_confident_{int(share * 100)}pct"] = float(wrong[order[:n]].sum() / max(wrong.sum(), 1))
    review.update({"sentences": int(len(order)), "sentences_with_error": int(wrong.sum())})
    result["review"] = review
    return result


def _windows(nlp, gold_docs: List[Doc], n_batches: int, batch: int, length: int) -> List[List[numpy.ndarray]]:
    """Batches of the model's own emissions: dev text cut into windows of
    lengths uniform in [length / 2, length]."""
    ner = nlp.get_pipe(NAME)
    texts = [d for d in gold_docs if len(d) >= length]
    split = nlp.get_pipe("sentencizer") if "sentencizer" in nlp.pipe_names else (lambda doc: doc)
    scores = ner.model.predict([split(Doc(nlp.vocab, words=[t.text for t in d])) for d in texts[: 4 * n_batches]])
    pool = [s[i : i + length] for s in scores for i in range(0, len(s) - length + 1, length)]
    rng = numpy.random.default_rng(0)
    out = []
    for b in range(n_batches):
        lengths = rng.integers(length // 2, length + 1, size=batch)
        lengths[0] = length
        picks = rng.integers(0, len(pool), size=batch)
        out.append([pool[p][:n] for p, n in zip(picks, lengths)])
    return out


def _random_batches(n_tags: int, n_batches: int, batch: int, length: int) -> List[List[numpy.ndarray]]:
    rng = numpy.random.default_rng(1)
    out = []
    for _ in range(n_batches):
        lengths = rng.integers(length // 2, length + 1, size=batch)
        lengths[0] = length
        out.append([rng.normal(size=(n, n_tags)).astype("float32") * 3 for n in lengths])
    return out


def _alternate(cases: Dict[str, Callable[[], object]], repeats: int) -> Dict[str, float]:
    """Best CPU time (ms) of each case, the cases run in turn `repeats` times."""
    return {name: times["best_ms"] for name, times in alternate(cases, repeats).items()}


def decode_times(nlp, batches: List[List[numpy.ndarray]], repeats: int, ks: Sequence[int]) -> Dict:
    ner = nlp.get_pipe(NAME)
    model, constraints = ner.model, ner.constraints
    with_scores = (ner.tags, ner.tag_scheme)
    cases: Dict[str, Callable[[], object]] = {}
    lengths = [numpy.asarray([len(s) for s in scores]) for scores in batches]

    def lattices():
        return [decoding.lattice_of(model, scores, n, constraints) for scores, n in zip(batches, lengths)]

    cases["viterbi k=1"] = lambda: [lattice.viterbi() for lattice in lattices()]
    for k in ks:
        cases[f"kbest k={k}"] = lambda k=k: [lattice.kbest(k) for lattice in lattices()]
    for spans in (False, True):
        label = "decode+scores" if spans else "decode"
        for k in (1,) + tuple(ks):
            cases[f"{label} k={k}"] = lambda k=k, spans=spans: [
                decoding.decode(model, scores, constraints, entity_scores=with_scores if spans else None, n_best=k)
                for scores in batches
            ]
    ms = _alternate(cases, repeats)
    n = len(batches)
    out = {name: value / n for name, value in ms.items()}
    ratios = {f"kbest k={k} / viterbi": out[f"kbest k={k}"] / out["viterbi k=1"] for k in ks}
    for label in ("decode", "decode+scores"):
        ratios.update({f"{label} k={k} / k=1": out[f"{label} k={k}"] / out[f"{label} k=1"] for k in ks})
    return {"ms_per_batch": out, "ratios": ratios}


def versus_reference(nlp, gold_docs: List[Doc], batches, repeats: int, ref: str) -> Dict:
    """n_best = 1 (defaults) against the reference's decode: the decode
    alone, and the whole pipeline over the dev texts, alternately."""
    old = reference_modules(ref)[0].decode
    ner = nlp.get_pipe(NAME)
    model, constraints = ner.model, ner.constraints
    out = {}
    for spans in (False, True):
        entity = (ner.tags, ner.tag_scheme) if spans else None
        ms = _alternate({
            "main": lambda: [old(model, s, constraints, entity_scores=entity) for s in batches],
            "branch": lambda: [decoding.decode(model, s, constraints, entity_scores=entity) for s in batches],
        }, repeats)
        out["decode+scores" if spans else "decode"] = {**ms, "branch / main": ms["branch"] / ms["main"]}
    from spacy_bilstm_crf.pipeline import ner as ner_module

    new = ner_module.decode

    def shim(*args, n_best=1, uncertainty=False, alternatives=False, **kwargs):
        return decoding.Decoded(*old(*args, **kwargs))

    texts = [d.text for d in gold_docs]

    def run_with(fn):
        def go():
            ner_module.decode = fn
            try:
                for _ in nlp.pipe(texts, batch_size=128):
                    pass
            finally:
                ner_module.decode = new
        return go

    ms = _alternate({"main": run_with(shim), "branch": run_with(new)}, max(3, repeats // 5))
    out["pipeline (nlp.pipe over dev)"] = {**ms, "branch / main": ms["branch"] / ms["main"]}
    return out


def main(
    model: Path = typer.Argument(..., help="Trained pipeline with a bilstm_crf_ner (CRF head)"),
    dev: Path = typer.Argument(..., help="Dev DocBin with gold entities"),
    name: str = typer.Option(..., help="Corpus name for the report"),
    output: Optional[Path] = typer.Option(None, help="Write the results as JSON here"),
    k_max: int = typer.Option(10, help="Largest k"),
    repeats: int = typer.Option(15, help="Timed rounds per case (best is kept)"),
    batches: int = typer.Option(4, help="Batches of 128 x <=50 per timing case"),
    timing: bool = typer.Option(True, help="Run the decoding-time parts (3, 4)"),
    run_oracle: bool = typer.Option(True, "--oracle/--no-oracle", help="Run the oracle and review parts (1, 2)"),
    reference: str = typer.Option("main", help="git ref whose decode n_best = 1 is compared with"),
    limit: int = typer.Option(0, help="Only the first N dev docs (0: all), for a quick check"),
    gold_sentences: bool = typer.Option(False, help="Oracle over the gold tokens and sentences (no sentencizer)"),
) -> None:
    torch.set_num_threads(1)
    settings = {"n_best": k_max, "uncertainty": True, "spans_key": "ents_scored"}
    nlp = spacy.load(model, config={"components": {NAME: settings}})
    gold_docs = list(DocBin().from_disk(dev).get_docs(nlp.vocab))
    gold_docs = gold_docs[:limit] if limit else gold_docs
    msg.info(f"{name}: {len(gold_docs)} dev docs, oracle up to k = {k_max}")
    start = time.perf_counter()
    result: Dict = {"corpus": name, "model": str(model), "dev": str(dev), "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                    "command": " ".join(sys.argv), "threads": 1}
    if run_oracle:
        result.update(oracle(nlp, gold_docs, k_max, gold_sentences))
        result["gold_sentences"] = gold_sentences
        result["oracle_wall_s"] = time.perf_counter() - start
        rows = [[k, f"{v['p']:.2f}", f"{v['r']:.2f}", f"{v['f']:.2f}"] for k, v in result["oracle"].items()]
        msg.table(rows, header=["k", "P", "R", "oracle F1"], divider=True)
        msg.info(f"doc.ents F1 {result['doc_ents']['f']:.2f}; review: {result['review']}")
    if timing:
        plain = spacy.load(model)
        real = _windows(plain, gold_docs, batches, 128, 50)
        ks = [k for k in KS if 1 < k <= k_max]
        with typer.progressbar(length=3, label="timing") as bar:
            result["time_model_emissions"] = decode_times(plain, real, repeats, ks)
            bar.update(1)
            n_tags = len(plain.get_pipe(NAME).tags)
            result["time_random_emissions"] = decode_times(plain, _random_batches(n_tags, batches, 128, 50), repeats, ks)
            bar.update(1)
            result["n_best_1_vs_reference"] = {"reference": reference,
                                               **versus_reference(plain, gold_docs, real, repeats, reference)}
            bar.update(1)
        for key in ("time_model_emissions", "time_random_emissions"):
            msg.info(key)
            msg.table([[n, f"{v:.2f}"] for n, v in result[key]["ratios"].items()], divider=True)
        msg.info(f"n_best = 1 vs {reference}: {json.dumps(result['n_best_1_vs_reference'], indent=1)}")
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(result, indent=2))
        msg.good(f"Wrote {output}")


if __name__ == "__main__":
    typer.run(main)
