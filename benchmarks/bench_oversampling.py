"""Oversampling benchmark: the same config, seed and step budget trained twice,
once with the config's own [corpora.train] and once with
spacy-bilstm-crf.OversamplingCorpus.v1, evaluated on the same dev set.

Reports per-type F1, macro-F1 over the dev types and micro-F1 (spaCy's
ents_f) of `model-last` (a fixed step budget: `model-best` would select on the
dev set we report). Writes a markdown section and a JSON file.
"""
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Optional

import spacy
import typer
from spacy.cli.train import train
from spacy.training import Corpus
from spacy.util import load_config
from wasabi import msg

from spacy_bilstm_crf.readers.oversampling import OversamplingCorpus

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import command, evaluate, machine_line, parse_settings, today  # noqa: E402

READER = "spacy-bilstm-crf.OversamplingCorpus.v1"


def reader_settings(strategy: str, target_share: float, temperature: float, max_copies: int, seed: int) -> Dict[str, Any]:
    return {
        "strategy": strategy,
        "target_share": target_share,
        "temperature": temperature,
        "max_copies": max_copies,
        "seed": seed,
    }


def build_config(
    config_path: Path, train_path: Path, dev_path: Path, *, steps: int, seed: int,
    extra: Dict[str, Any], oversample: Optional[Dict[str, Any]],
):
    overrides = {
        "paths.train": str(train_path),
        "paths.dev": str(dev_path),
        "system.seed": seed,
        "training.seed": seed,
        "training.max_steps": steps,
        "training.eval_frequency": steps,
        "training.patience": 0,
        **extra,
    }
    config = load_config(config_path, overrides=overrides, interpolate=False)
    if oversample is not None:
        train_block = dict(config["corpora"]["train"])
        train_block["@readers"] = READER
        train_block.update(oversample)
        # The reader must know the training mode (see its docstring).
        train_block["shuffle"] = config["training"]["max_epochs"] == -1
        config["corpora"]["train"] = train_block
    return config


def type_scores(scores: Dict[str, Any], gold_types: List[str]) -> Dict[str, Any]:
    """Per-type, macro and micro scores over the dev types, from `_common.evaluate`."""
    per_type = scores.get("ents_per_type") or {}
    f1 = {t: float(per_type.get(t, {}).get("f", 0.0)) for t in gold_types}
    return {
        "per_type": {t: per_type.get(t, {"p": 0.0, "r": 0.0, "f": 0.0}) for t in gold_types},
        "per_type_f": f1,
        "macro_f": sum(f1.values()) / len(f1) if f1 else 0.0,
        "micro_f": float(scores["ents_f"] or 0.0),
        "micro_p": float(scores["ents_p"] or 0.0),
        "micro_r": float(scores["ents_r"] or 0.0),
    }


def entity_counts(path: Path) -> Counter:
    nlp = spacy.blank("en")
    return Counter(ent.label_ for eg in Corpus(path)(nlp) for ent in eg.reference.ents)


def markdown(result: Dict[str, Any]) -> str:
    plain, over = result["runs"]["plain"], result["runs"]["oversampled"]
    stats = result["oversampling"]
    lines = [
        f"### {result['name']}",
        "",
        f"Date: {result['date']}. Machine: {result['machine']}. Model: {result['model']}. "
        f"Steps: {result['steps']}, seed {result['seed']}, same config otherwise.",
        f"Command: `{result['command']}`",
        "",
        f"Reader: `{READER}` with {', '.join(f'{k} = {v}' for k, v in result['reader'].items())}. "
        f"Train set: {stats['n_examples']:,} examples; {stats['n_repeated']:,} repeated, "
        f"{stats['n_copies']:,} copies added ({stats['total']:,} in all). "
        f"Training time: plain {plain['train_seconds']:.0f} s, oversampled {over['train_seconds']:.0f} s.",
        "",
        "| type | train ents | oversampled | dev ents | F1 plain | F1 oversampled | delta |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for t in result["types"]:
        fp, fo = plain["per_type_f"][t], over["per_type_f"][t]
        lines.append(
            f"| {t} | {stats['before'].get(t, 0):,} | {stats['after'].get(t, 0):,} | "
            f"{result['dev_counts'].get(t, 0):,} | {fp * 100:.2f} | {fo * 100:.2f} | {(fo - fp) * 100:+.2f} |"
        )
    for key, label in [("macro_f", "**macro-F1**"), ("micro_f", "**micro-F1**"), ("micro_p", "micro-P"), ("micro_r", "micro-R")]:
        fp, fo = plain[key], over[key]
        lines.append(f"| {label} | | | | {fp * 100:.2f} | {fo * 100:.2f} | {(fo - fp) * 100:+.2f} |")
    lines.append("")
    return "\n".join(lines)


def main(
    train_path: Path = typer.Argument(..., help="Train .spacy file or folder", exists=True),
    dev_path: Path = typer.Argument(..., help="Dev .spacy file or folder (never oversampled)", exists=True),
    config_path: Path = typer.Argument(..., help="A complete training config", exists=True, dir_okay=False),
    steps: int = typer.Option(1000, "--steps", help="training.max_steps for both runs"),
    seed: int = typer.Option(0, "--seed", help="system.seed, training.seed and the reader's seed"),
    strategy: str = typer.Option("target_share", "--strategy", help="target_share or temperature"),
    target_share: float = typer.Option(0.1, "--target-share"),
    temperature: float = typer.Option(2.0, "--temperature"),
    max_copies: int = typer.Option(10, "--max-copies"),
    name: str = typer.Option("dataset", "--name", help="Heading of the markdown section"),
    model: str = typer.Option("", "--model", help="Model description for the results (default: the config's pipeline)"),
    setting: List[str] = typer.Option([], "--set", help="Extra config override key=value (value parsed as JSON if it can be)"),
    workdir: Optional[Path] = typer.Option(None, "--workdir", help="Keep trained pipelines here (default: a temp dir)"),
    md: Optional[Path] = typer.Option(None, "--md", help="Append the markdown section here"),
    json_path: Optional[Path] = typer.Option(None, "--json", help="Write the results as JSON here"),
    machine: str = typer.Option("", "--machine", help="Machine description for the results (default: this one)"),
    date: str = typer.Option(today(), "--date", help="Date for the results"),
) -> None:
    """Train without and with oversampling; compare per-type, macro and micro F1 on dev."""
    extra = parse_settings(setting)
    work = Path(workdir or tempfile.mkdtemp(prefix="bench_oversampling_"))
    work.mkdir(parents=True, exist_ok=True)
    reader = reader_settings(strategy, target_share, temperature, max_copies, seed)
    dev_counts = entity_counts(dev_path)
    types = sorted(dev_counts, key=lambda t: (-dev_counts[t], t))
    runs: Dict[str, Dict[str, Any]] = {}
    for variant, oversample in [("plain", None), ("oversampled", reader)]:
        config = build_config(
            config_path, train_path, dev_path, steps=steps, seed=seed, extra=extra, oversample=oversample
        )
        cfg_file = work / f"{variant}.cfg"
        config.to_disk(cfg_file)
        msg.divider(f"{name}: {variant}")
        start = time.perf_counter()
        train(cfg_file, work / variant, overrides={})
        seconds = time.perf_counter() - start
        scores = type_scores(evaluate(work / variant / "model-last", dev_path), types)
        runs[variant] = {**scores, "train_seconds": seconds}
        msg.good(
            f"{variant}: micro-F1 {runs[variant]['micro_f'] * 100:.2f}, "
            f"macro-F1 {runs[variant]['macro_f'] * 100:.2f} ({seconds:.0f} s)"
        )
    # The oversampled run's counts, recomputed outside the training process's output.
    corpus = OversamplingCorpus(train_path, **reader)
    list(corpus(spacy.blank(config["nlp"]["lang"])))
    stats = corpus.last_stats
    assert stats is not None
    result = {
        "name": name,
        "date": date,
        "machine": machine or machine_line(),
        "model": model or ", ".join(config["nlp"]["pipeline"]),
        "steps": steps,
        "seed": seed,
        "command": command("benchmarks/bench_oversampling.py"),
        "reader": reader,
        "types": types,
        "dev_counts": dict(dev_counts),
        "oversampling": {
            "before": stats.before, "after": stats.after, "targets": stats.targets,
            "capped": list(stats.capped), "n_examples": stats.n_examples,
            "n_repeated": stats.n_repeated, "n_copies": stats.n_copies, "total": stats.total,
        },
        "runs": runs,
    }
    section = markdown(result)
    print(section)
    if md is not None:
        with md.open("a", encoding="utf8") as f:
            f.write("\n" + section)
    if json_path is not None:
        json_path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf8")


if __name__ == "__main__":
    typer.run(main)
