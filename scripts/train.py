"""Train one pipeline with `spacy train`, logging every evaluation to a JSONL file.

Writes OUTPUT/model-best, OUTPUT/model-last, OUTPUT/train_log.jsonl (spaCy's
ConsoleLogger.v3: step, epoch, losses, dev scores) and OUTPUT/train_meta.json
(wall-clock and CPU training time, steps, config; the CPU time of
all threads is what to compare on a machine shared with other jobs) for scripts/compare.py.
"""
import json
import shutil
import time
from pathlib import Path
from typing import Any, Dict, Optional

import typer
from spacy.cli._util import parse_config_overrides
from spacy.cli.train import train

LOG_NAME = "train_log.jsonl"
META_NAME = "train_meta.json"


def logger_override(log_path: Path) -> Dict[str, Any]:
    """A [training.logger] block that prints the usual table and writes JSONL.

    spacy.ConsoleLogger.v3 refuses to overwrite an existing file (it then logs
    nothing), so callers delete the old log first.
    """
    return {
        "@loggers": "spacy.ConsoleLogger.v3",
        "progress_bar": None,
        "console_output": True,
        "output_file": str(log_path),
    }


def run_training(
    config: Path,
    output: Path,
    corpus: Path,
    *,
    gpu_id: int = -1,
    max_steps: int = 600,
    eval_frequency: int = 100,
    extra: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    """Train `config` on CORPUS/train.spacy (dev: CORPUS/dev.spacy) into `output`."""
    if output.exists():
        shutil.rmtree(output)
    output.mkdir(parents=True)
    log_path = output / LOG_NAME
    overrides: Dict[str, Any] = {
        "paths.train": str(corpus / "train.spacy"),
        "paths.dev": str(corpus / "dev.spacy"),
        "training.max_steps": max_steps,
        "training.eval_frequency": eval_frequency,
        "training.logger": logger_override(log_path),
    }
    overrides.update(extra or {})
    start, cpu_start = time.perf_counter(), time.process_time()
    train(config, output, use_gpu=gpu_id, overrides=overrides)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    meta = {
        "config": str(config),
        "train_seconds": round(seconds, 2),
        "train_cpu_seconds": round(cpu_seconds, 2),
        "max_steps": max_steps,
        "eval_frequency": eval_frequency,
        "gpu_id": gpu_id,
        "overrides": {k: v for k, v in overrides.items() if k != "training.logger"},
    }
    (output / META_NAME).write_text(json.dumps(meta, indent=2), encoding="utf8")
    return meta


def main(
    ctx: typer.Context,
    config: Path = typer.Argument(..., exists=True, dir_okay=False, help="Training config"),
    output: Path = typer.Argument(..., help="Output directory (replaced)"),
    corpus: Path = typer.Argument(..., exists=True, file_okay=False, help="Directory with train.spacy and dev.spacy"),
    gpu_id: int = typer.Option(-1, "--gpu-id", "-g", help="GPU id, -1 for CPU"),
    max_steps: int = typer.Option(600, "--max-steps", help="training.max_steps"),
    eval_frequency: int = typer.Option(100, "--eval-frequency", help="training.eval_frequency"),
) -> None:
    """Train CONFIG on CORPUS into OUTPUT and record the log and the training time. Further options
    override the config as in `spacy train`, e.g. --paths.vectors FOLDER."""
    extra = parse_config_overrides(ctx.args)
    meta = run_training(config, output, corpus, gpu_id=gpu_id, max_steps=max_steps, eval_frequency=eval_frequency,
                        extra=extra)
    typer.echo(f"Trained {config} in {meta['train_seconds']:.1f}s -> {output}")


app = typer.Typer(add_completion=False)
app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(main)

if __name__ == "__main__":
    app()
