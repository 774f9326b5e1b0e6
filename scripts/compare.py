"""Side-by-side comparison of the evaluated models: a markdown table and PNG plots.

Reads METRICS_DIR/<model>.json (scripts/evaluate.py) and TRAINING_DIR/<model>/train_log.jsonl
(spaCy's ConsoleLogger.v3, written by scripts/train.py) and writes to METRICS_DIR:

* comparison.md: one row per model: entity P/R/F1 (seqeval strict IOB2, equal to
  spaCy's scorer), F1 on entities seen and unseen in training (when evaluate.py had
  the training data), F1 per type, token accuracy next to F1, training time and steps, words/s;
* training_curves.png: training loss (mean per step between evaluations) and dev entity F1
  against the step, every model;
* f1_per_type.png: per-type F1 bars;
* confusion.png: gold type x predicted type counts per model, with "missed" and "spurious".
"""
import json
from pathlib import Path
from typing import Dict, List

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import typer  # noqa: E402

from scripts.evaluate import MISSED, SPURIOUS  # noqa: E402


def load_metrics(metrics_dir: Path, models: List[str]) -> Dict[str, Dict]:
    """The evaluate.py results of each model, in the given order."""
    return {m: json.loads((metrics_dir / f"{m}.json").read_text(encoding="utf8")) for m in models}


def load_log(path: Path) -> List[Dict]:
    """The JSONL training log (one dict per evaluation); empty if missing."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf8").splitlines() if line.strip()]


def entity_types(metrics: Dict[str, Dict]) -> List[str]:
    return sorted({t for m in metrics.values() for t in m["entities"]["per_type"]})


def markdown_table(metrics: Dict[str, Dict]) -> str:
    """One row per model; percentages with one decimal."""
    types = entity_types(metrics)
    split = all(m.get("seen_unseen") for m in metrics.values())
    head = (["model", "P", "R", "F1"] + (["F1 seen", "F1 unseen"] if split else []) + ["token acc"]
            + [f"F1 {t}" for t in types]
            + ["train s (CPU s)", "steps", "words/s", "seqeval = spaCy"])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, m in metrics.items():
        ent = m["entities"]
        per = [f"{100 * ent['per_type'][t]['f']:.1f}" if t in ent["per_type"] else "-" for t in types]
        train_s = f"{m['train_seconds']:.0f}" if m.get("train_seconds") is not None else "-"
        if m.get("train_cpu_seconds") is not None:
            train_s += f" ({m['train_cpu_seconds']:.0f})"
        seen_unseen = ([f"{100 * m['seen_unseen'][g]['f']:.1f}" for g in ("seen", "unseen")] if split else [])
        row = ([name, f"{100 * ent['p']:.1f}", f"{100 * ent['r']:.1f}", f"**{100 * ent['f']:.1f}**"]
               + seen_unseen + [f"{100 * m['token_accuracy']:.1f}"] + per
               + [train_s, str(m.get("max_steps") or "-"), f"{m['words_per_second']:,.0f}",
                  "yes" if m["seqeval_spacy_agree"] else f"NO ({m['seqeval_spacy_max_difference']:.1e})"])
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def plot_curves(logs: Dict[str, List[Dict]], path: Path) -> None:
    """Loss (summed over the pipeline's trainable components) and dev F1 against the step."""
    fig, (ax_loss, ax_f1) = plt.subplots(1, 2, figsize=(12, 4.5))
    for name, log in logs.items():
        if not log:
            continue
        steps = [e["step"] for e in log]
        # the logged loss is summed since the previous evaluation: divide by the steps in between
        spans = [max(1, b - a) for a, b in zip([-1] + steps[:-1], steps)]
        ax_loss.plot(steps, [sum(e["losses"].values()) / n for e, n in zip(log, spans)], marker="o", ms=3, label=name)
        # ConsoleLogger.v3 writes the per-metric scores in percent (and "score" as a fraction)
        ax_f1.plot(steps, [e["scores"].get("ents_f") or 0.0 for e in log], marker="o", ms=3, label=name)
    ax_loss.set(title="Training loss per step (mean since the previous evaluation;\nscales differ between heads)",
                xlabel="step", ylabel="loss", yscale="log")
    ax_f1.set(title="Dev entity F1", xlabel="step", ylabel="F1 (%)", ylim=(0, 100))
    for ax in (ax_loss, ax_f1):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_per_type(metrics: Dict[str, Dict], path: Path) -> None:
    """Grouped bars: F1 per entity type (and overall), one bar per model."""
    groups = entity_types(metrics) + ["overall"]
    width = 0.8 / max(1, len(metrics))
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(groups) * max(1, len(metrics)) / 3), 4.5))
    for i, (name, m) in enumerate(metrics.items()):
        per = m["entities"]["per_type"]
        values = [100 * per.get(t, {}).get("f", 0.0) for t in groups[:-1]] + [100 * m["entities"]["f"]]
        ax.bar([g + i * width for g in range(len(groups))], values, width, label=name)
    ax.set_xticks([g + width * (len(metrics) - 1) / 2 for g in range(len(groups))], groups)
    ax.set(ylabel="F1 (%)", ylim=(0, 100), title="Dev F1 per entity type (strict)")
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_confusion(metrics: Dict[str, Dict], path: Path) -> None:
    """One gold x predicted heat map per model; rows end with "spurious", columns with "missed"."""
    types = entity_types(metrics)
    rows, cols = types + [SPURIOUS], types + [MISSED]
    n = len(metrics)
    ncols = min(3, n)
    nrows = (n + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.8 * nrows), squeeze=False)
    for ax, (name, m) in zip(axes.flat, metrics.items()):
        table = m["confusion"]
        grid = [[table.get(r, {}).get(c, 0) for c in cols] for r in rows]
        ax.imshow(grid, cmap="Blues")
        for i, row in enumerate(grid):
            for j, v in enumerate(row):
                ax.text(j, i, str(v), ha="center", va="center", fontsize=8,
                        color="white" if v > 0.6 * max(max(r) for r in grid) else "black")
        ax.set_xticks(range(len(cols)), cols, rotation=45, ha="right", fontsize=8)
        ax.set_yticks(range(len(rows)), rows, fontsize=8)
        ax.set(title=name, xlabel="predicted", ylabel="gold")
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.suptitle("Entity confusion (exact boundaries; a boundary error is one missed + one spurious)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(
    metrics_dir: Path = typer.Argument(..., exists=True, file_okay=False, help="Holds <model>.json"),
    training_dir: Path = typer.Argument(..., exists=True, file_okay=False, help="Holds <model>/train_log.jsonl"),
    models: str = typer.Option(..., "--models", help="Comma-separated model names, in table order"),
) -> None:
    """Write comparison.md, training_curves.png, f1_per_type.png and confusion.png into METRICS_DIR."""
    names = [m.strip() for m in models.split(",") if m.strip()]
    metrics = load_metrics(metrics_dir, names)
    logs = {m: load_log(training_dir / m / "train_log.jsonl") for m in names}
    any_metrics = next(iter(metrics.values()))
    text = "\n".join([
        f"# Comparison on {any_metrics['dev']}",
        "",
        f"Dev set: {any_metrics['n_docs']:,} docs, {any_metrics['n_tokens']:,} tokens. Entity scores are "
        "strict (exact boundaries and type; seqeval `mode=\"strict\"`, IOB2), micro-averaged, in %; "
        "`seqeval = spaCy` says whether spaCy's scorer gave the same numbers. Token accuracy (IOB2 tag "
        "with type) is shown next to F1 only: most tokens are `O`. Training time is wall-clock for the "
        "whole `spacy train` run (evaluations included), with the CPU time of all its threads in brackets "
        "(the fairer figure on a shared machine); words/s is `nlp.pipe` on the dev docs (wall-clock).",
        "",
        markdown_table(metrics),
        "",
        "![training curves](training_curves.png)",
        "![F1 per type](f1_per_type.png)",
        "![confusion](confusion.png)",
        "",
    ])
    (metrics_dir / "comparison.md").write_text(text, encoding="utf8")
    plot_curves(logs, metrics_dir / "training_curves.png")
    plot_per_type(metrics, metrics_dir / "f1_per_type.png")
    plot_confusion(metrics, metrics_dir / "confusion.png")
    typer.echo(markdown_table(metrics))


if __name__ == "__main__":
    typer.run(main)
