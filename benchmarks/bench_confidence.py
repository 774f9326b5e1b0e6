"""Calibration and cost of the entity probabilities (doc.spans["ents_scored"]).

For a trained pipeline and a dev set: expected calibration error of the
entity scores (10 equal-width bins; an entity is correct when its span and
label match a gold entity exactly), precision/recall at score thresholds,
a reliability plot, and the inference time with and without scores
(measured alternately in one run).

    python -m benchmarks.bench_confidence MODEL DEV.spacy --output-dir benchmarks/results/confidence
"""
import json
import statistics
import time
from pathlib import Path
from typing import Dict, List, Tuple

import numpy
import spacy
import typer
from spacy.tokens import DocBin
from wasabi import msg

THRESHOLDS = (0.0, 0.5, 0.7, 0.9)
TEMPERATURES = [0.8, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 2.5, 3.0]
SPANS_KEY = "ents_scored"
# Scores on, whatever the saved pipeline's setting.
SCORED = {"components": {"bilstm_crf_ner": {"spans_key": SPANS_KEY}}}


def collect(nlp, gold_docs, spans_key: str) -> Tuple[List[float], List[bool], int]:
    """(score, correct) of every predicted entity, and the gold entity count."""
    scores, correct, n_gold = [], [], 0
    texts = [doc.text for doc in gold_docs]
    for gold, pred in zip(gold_docs, nlp.pipe(texts)):
        # The tokenizer may split differently from the gold: compare characters.
        gold_set = {(e.start_char, e.end_char, e.label_) for e in gold.ents}
        n_gold += len(gold_set)
        group = pred.spans[spans_key]
        for span, score in zip(group, group.attrs["scores"]):
            scores.append(float(score))
            correct.append((span.start_char, span.end_char, span.label_) in gold_set)
    return scores, correct, n_gold


def calibration(scores: List[float], correct: List[bool], n_bins: int = 10) -> Tuple[float, List[Dict]]:
    s = numpy.asarray(scores)
    c = numpy.asarray(correct, dtype=float)
    bins = numpy.minimum((s * n_bins).astype(int), n_bins - 1)
    ece, rows = 0.0, []
    for b in range(n_bins):
        in_bin = bins == b
        n = int(in_bin.sum())
        if n == 0:
            continue
        conf, acc = float(s[in_bin].mean()), float(c[in_bin].mean())
        ece += abs(acc - conf) * n / len(s)
        rows.append({"bin": b, "n": n, "confidence": conf, "accuracy": acc})
    return ece, rows


def at_thresholds(scores, correct, n_gold) -> List[Dict]:
    s, c = numpy.asarray(scores), numpy.asarray(correct)
    out = []
    for t in THRESHOLDS:
        kept = s >= t
        tp = int((c & kept).sum())
        p = tp / max(int(kept.sum()), 1)
        r = tp / max(n_gold, 1)
        f = 2 * p * r / max(p + r, 1e-12)
        out.append({"threshold": t, "precision": p, "recall": r, "f1": f, "kept": int(kept.sum())})
    return out


def plot(rows: List[Dict], ece: float, title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    ax.plot([r["confidence"] for r in rows], [r["accuracy"] for r in rows], "o-", label="entities")
    for r in rows:
        ax.annotate(str(r["n"]), (r["confidence"], r["accuracy"]), fontsize=7, xytext=(3, -9),
                    textcoords="offset points")
    ax.set_xlabel("mean entity score in bin")
    ax.set_ylabel("fraction correct (exact span and label)")
    ax.set_title(f"{title}\nECE = {ece:.3f}")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def timing(model: Path, texts: List[str], rounds: int) -> Dict[str, float]:
    """Words/s with and without scores, alternating so both see the same load."""
    with_scores = spacy.load(model, config=SCORED)
    without = spacy.load(model, config={"components": {"bilstm_crf_ner": {"spans_key": None}}})
    n_words = sum(len(doc) for doc in with_scores.tokenizer.pipe(texts))
    times: Dict[str, List[float]] = {"with": [], "without": []}
    for _ in range(rounds):
        for name, nlp in (("without", without), ("with", with_scores)):
            start = time.perf_counter()
            for _ in nlp.pipe(texts):
                pass
            times[name].append(time.perf_counter() - start)
    t_with, t_without = statistics.median(times["with"]), statistics.median(times["without"])
    return {"words": n_words, "wps_with_scores": n_words / t_with, "wps_without_scores": n_words / t_without,
            "overhead": t_with / t_without - 1.0}


def log_loss(scores: List[float], correct: List[bool]) -> float:
    """Mean binary cross-entropy of the scores as predictions of correctness."""
    s = numpy.clip(numpy.asarray(scores, dtype=float), 1e-6, 1 - 1e-6)
    c = numpy.asarray(correct, dtype=float)
    return float(-(c * numpy.log(s) + (1 - c) * numpy.log(1 - s)).mean())


def collect_at(nlp, docs, spans_key: str, temperature: float) -> Tuple[List[float], List[bool], int]:
    """`collect` with the component's temperature set to this value, then restored."""
    ner = nlp.get_pipe("bilstm_crf_ner")
    own, ner.temperature = ner.temperature, temperature
    try:
        return collect(nlp, docs, spans_key)
    finally:
        ner.temperature = own


def fit_temperature(nlp, fit_docs, spans_key: str, grid: List[float]) -> Tuple[float, List[Dict]]:
    """The component temperature with the lowest log loss on `fit_docs`."""
    trials = []
    for t in grid:
        s, c, _ = collect_at(nlp, fit_docs, spans_key, t)
        trials.append({"temperature": t, "log_loss": log_loss(s, c), "ece": calibration(s, c)[0]})
        msg.text(f"T={t:.2f}: log loss {trials[-1]['log_loss']:.4f}, ECE {trials[-1]['ece']:.4f}")
    return min(trials, key=lambda r: r["log_loss"])["temperature"], trials


def held_out(nlp, docs, spans_key: str, temperature: float) -> Dict:
    s, c, n_gold = collect_at(nlp, docs, spans_key, temperature)
    ece, rows = calibration(s, c)
    return {"temperature": temperature, "ece": ece, "log_loss": log_loss(s, c), "bins": rows,
            "thresholds": at_thresholds(s, c, n_gold), "entities": len(s)}


def main(
    model: Path = typer.Argument(..., help="Trained pipeline with a bilstm_crf_ner component"),
    dev: Path = typer.Argument(..., help="Gold .spacy file"),
    output_dir: Path = typer.Option(Path("benchmarks/results/confidence"), help="Where to write JSON and PNG"),
    name: str = typer.Option("", help="Name for the plot title and files (default: model dir name)"),
    rounds: int = typer.Option(3, help="Timing rounds (medians reported)"),
    fit: bool = typer.Option(False, "--fit-temperature", help="Fit the component's temperature on the even dev docs, report on the odd ones"),
) -> None:
    name = name or model.name
    output_dir.mkdir(parents=True, exist_ok=True)
    nlp = spacy.load(model, config=SCORED)
    spans_key = SPANS_KEY
    gold_docs = list(DocBin().from_disk(dev).get_docs(nlp.vocab))
    msg.info(f"{len(gold_docs)} dev docs; scoring entities")
    scores, correct, n_gold = collect(nlp, gold_docs, spans_key)
    ece, rows = calibration(scores, correct)
    thresholds = at_thresholds(scores, correct, n_gold)
    msg.info("Timing with and without scores (alternating)")
    cost = timing(model, [d.text for d in gold_docs], rounds)
    png = output_dir / f"reliability_{name}.png"
    plot(rows, ece, name, png)
    result = {"model": str(model), "dev": str(dev), "entities": len(scores), "gold": n_gold, "ece": ece,
              "bins": rows, "thresholds": thresholds, "timing": cost, "plot": str(png)}
    if fit:
        fit_docs, eval_docs = gold_docs[0::2], gold_docs[1::2]
        msg.info(f"Fitting the temperature on {len(fit_docs)} dev docs (even), reporting on {len(eval_docs)} (odd)")
        best, trials = fit_temperature(nlp, fit_docs, spans_key, TEMPERATURES)
        before, after = (held_out(nlp, eval_docs, spans_key, t) for t in (1.0, best))
        fitted_png = output_dir / f"reliability_{name}_T{best:g}.png"
        plot(after["bins"], after["ece"], f"{name}, T={best:g} (held-out half)", fitted_png)
        result["temperature"] = {"fitted": best, "trials_on_fit_half": trials,
                                 "held_out_T1": before, "held_out_fitted": after, "plot": str(fitted_png)}
        msg.good(f"T={best:g}: held-out ECE {before['ece']:.4f} -> {after['ece']:.4f}")
        msg.table([[t["threshold"], f"{t['precision']:.3f}", f"{t['recall']:.3f}", f"{t['f1']:.3f}", t["kept"]]
                   for t in after["thresholds"]], header=["threshold (fitted T)", "P", "R", "F1", "kept"],
                  divider=True)
    (output_dir / f"confidence_{name}.json").write_text(json.dumps(result, indent=2))
    msg.good(f"ECE {ece:.4f} over {len(scores)} predicted entities; plot {png}")
    msg.table([[t["threshold"], f"{t['precision']:.3f}", f"{t['recall']:.3f}", f"{t['f1']:.3f}", t["kept"]]
               for t in thresholds], header=["threshold", "P", "R", "F1", "entities kept"], divider=True)
    msg.text(f"words/s with scores {cost['wps_with_scores']:.0f}, without {cost['wps_without_scores']:.0f}, "
             f"overhead {cost['overhead'] * 100:.1f}%")


if __name__ == "__main__":
    typer.run(main)
