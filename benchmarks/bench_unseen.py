"""Generalisation on dev: entity F1 on mentions seen and unseen in training.

A dev mention is *seen* when the same text with the same type is an entity in
the training data, *unseen* otherwise (scripts/evaluate.py's
`seen_unseen_scores`, the project's definition). Most errors on new text are
unseen names, so the unseen F1 is the dev split's stand-in for what the
held-back test measures: compare models on it, not only on dev F1.

Every model predicts on the dev texts with its own tokenizer, as in training
and as `spacy evaluate` and bench_ner do (`_common.evaluate`: the overall F1 is
`nlp.evaluate`'s); mentions match the gold by character offsets and type. The
models are scored one after another in this process, so a comparison is one run.

    python -m benchmarks.bench_unseen TRAIN.spacy DEV.spacy RUN_DIR/model-best [...] --name conll \
        --output benchmarks/results/issue15/unseen_conll.json
"""
import json
from pathlib import Path
from typing import Dict, List, Optional

import typer
from wasabi import msg

from benchmarks import _common


def score_model(model_dir: Path, train_path: Path, dev_path: Path) -> Dict:
    """Overall, seen and unseen P/R/F1 (percent) of one pipeline on the dev docs
    (`_common.evaluate`, the benchmarks' one evaluation)."""
    scores = _common.evaluate(model_dir, dev_path, train_path)
    split = scores["seen_unseen"]
    for group in ("seen", "unseen"):
        split[group].update({k: 100 * split[group][k] for k in ("p", "r", "f")})
    overall = {k: 100 * scores[f"ents_{k}"] for k in ("p", "r", "f")}
    return {"model": str(model_dir), "overall": overall, **split}


def main(
    train: Path = typer.Argument(..., exists=True, help="Training DocBin: what counts as seen"),
    dev: Path = typer.Argument(..., exists=True, help="Dev DocBin with gold entities"),
    models: List[Path] = typer.Argument(..., exists=True, help="Trained pipelines (model-best folders)"),
    name: str = typer.Option(..., help="Corpus name for the report"),
    output: Optional[Path] = typer.Option(None, help="Write the results as JSON here"),
) -> None:
    """Score each model on DEV's seen and unseen entities apart."""
    results = []
    with typer.progressbar(models, label="scoring") as bar:
        for model in bar:
            results.append(score_model(model, train, dev))
    for r in results:
        msg.info(f"{r['model']}: F1 {r['overall']['f']:.2f}; seen {r['seen']['f']:.2f} ({r['seen']['gold']} gold), "
                 f"unseen {r['unseen']['f']:.2f} ({r['unseen']['gold']} gold)")
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        report = {"name": name, "command": _common.command("benchmarks.bench_unseen"), "date": _common.date(),
                  "machine": _common.machine(), "versions": _common.versions(), "git": _common.git_state(),
                  "train": str(train), "dev": str(dev), "models": results}
        output.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    typer.run(main)
