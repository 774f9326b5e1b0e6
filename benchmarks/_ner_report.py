"""The `report` command of benchmarks.bench_ner: markdown tables
(benchmarks/results/notes/benchmarks_ner.md) from the JSON results of its `train` and `speed`.

    python -m benchmarks.bench_ner report --results benchmarks/results --output benchmarks/results/notes/benchmarks_ner.md
"""
import json
import statistics
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import typer
from wasabi import msg

from benchmarks._common import COMMON_SET, MODELS, REPO


def _time_to_best(r: Dict[str, Any]) -> str:
    """Minutes to the best checkpoint, on the clock the run was budgeted with."""
    if r.get("clock") == "cpu" and r.get("best_cpu_s") is not None:
        return f"{r['best_cpu_s'] / 60:.1f} (CPU)"
    return f"{r['best_wall_s'] / 60:.1f}"


def _pct(x: Optional[float]) -> str:
    return "–" if x is None else f"{x * 100:.2f}"


def _variant(r: Dict[str, Any]) -> Tuple[str, int, str]:
    """(model, seed, other overrides) of a run: runs that differ only by seed are one variant."""
    extra = {k: v for k, v in r["overrides"].items() if k not in COMMON_SET and k not in MODELS[r["model"]]["set"]}
    seed = int(extra.pop("system.seed", 0))
    # a local transformer path is where the model lives, not a setting
    extra.pop("components.transformer.model.name", None)
    return r["model"], seed, json.dumps(extra, sort_keys=True) if extra else ""


def head_to_head(group: List[Dict[str, Any]]) -> List[str]:
    """Each variant against spaCy's `ner` trained with the same seed, and the mean over seeds.

    Training is deterministic on one machine but not across CPUs (BLAS kernels round differently),
    and one seed moves dev F1 by several tenths: a difference is only read over seeds.
    """
    variants: Dict[Tuple[str, str], Dict[int, Dict[str, Any]]] = {}
    for r in group:
        model, seed, extra = _variant(r)
        variants.setdefault((model, extra), {})[seed] = r
    base = variants.get(("spacy_ner", ""), {})
    rows = []
    for (model, extra), by_seed in sorted(variants.items()):
        seeds = sorted(by_seed)
        f1 = [by_seed[s]["dev"]["ents_f"] * 100 for s in seeds]
        paired = [s for s in seeds if s in base]
        diffs = [by_seed[s]["dev"]["ents_f"] * 100 - base[s]["dev"]["ents_f"] * 100 for s in paired]
        name = model + (f" {extra}" if extra else "")
        is_base = model == "spacy_ner" and not extra
        diff_cells = (
            f"{' / '.join(f'{d:+.2f}' for d in diffs)} | **{statistics.mean(diffs):+.2f}**"
            if diffs and not is_base
            else "– | –"
        )
        rows.append(
            f"| {name} | {', '.join(map(str, seeds))} | {' / '.join(f'{x:.2f}' for x in f1)} | "
            f"**{statistics.mean(f1):.2f}** | {diff_cells} |"
        )
    return [
        "Dev F1 by variant and seed (`--set system.seed=N`), and the difference from spaCy's `ner` trained with the "
        "same seed:",
        "",
        "| variant | seeds | dev F1 per seed | mean | minus spaCy `ner`, per seed | mean difference |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
    ]


def memory_table(group: List[Dict[str, Any]]) -> List[str]:
    """The training process's resident memory along the run: does it grow with the steps?"""
    curves = [(r, r.get("memory_curve") or []) for r in group]
    curves = [(r, c) for r, c in curves if c]
    if not curves:
        return []
    lines = [
        "",
        "Resident memory of the training process (VmRSS, MiB) at a share of its steps, and its peak (maxrss):",
        "",
        "| run | 10% | 25% | 50% | 75% | last | peak |",
        "|---|---|---|---|---|---|---|",
    ]
    for r, curve in curves:
        cells = [f"{curve[min(len(curve) - 1, int(q * len(curve)))]['rss_mib']:,.0f}" for q in (0.1, 0.25, 0.5, 0.75)]
        cells.append(f"{curve[-1]['rss_mib']:,.0f} (step {curve[-1]['step']:,})")
        lines.append(f"| {r['run']} | " + " | ".join(cells) + f" | {r['peak_rss_mib']:,.0f} |")
    return lines


def runs_table(group: List[Dict[str, Any]]) -> List[str]:
    """Dev scores and training of each run."""
    lines = [
        "| run | dev P | dev R | dev F1 | steps done | best step | time to best (min; CPU min where marked) | stopped by | train words/s | CPU cores used (cpu s / wall s) | peak RSS (MiB) | model-best size (MB) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in group:
        d = r["dev"]
        lines.append(
            f"| {r['run']} | {_pct(d['ents_p'])} | {_pct(d['ents_r'])} | **{_pct(d['ents_f'])}** | {r['steps']:,} | {r['best_step']:,} | "
            f"{_time_to_best(r)} | {r['stopped_by']} ({r['max_minutes']:g} min {r.get('clock', 'wall')} budget) | "
            f"{r['train_words_per_s']:,.0f} | "
            + (f"{r['cpu_s'] / r['wall_s']:.2f}" if "cpu_s" in r else "–")
            + f" | {r['peak_rss_mib']:,.0f} | {r['model_best_bytes'] / 1e6:.1f} |"
        )
    return lines


def per_type_table(group: List[Dict[str, Any]]) -> List[str]:
    types = sorted({t for r in group for t in (r["dev"]["ents_per_type"] or {})})
    lines = ["", "Per type, dev F1 (P / R):", ""]
    lines += ["| run | " + " | ".join(types) + " |", "|---|" + "---|" * len(types)]
    for r in group:
        per = r["dev"]["ents_per_type"] or {}
        cells = []
        for t in types:
            s = per.get(t)
            cells.append("–" if s is None else f"{s['f'] * 100:.1f} ({s['p'] * 100:.1f} / {s['r'] * 100:.1f})")
        lines.append(f"| {r['run']} | " + " | ".join(cells) + " |")
    return lines


def commands_list(group: List[Dict[str, Any]]) -> List[str]:
    lines = ["", "Commands, dates and load:", ""]
    for r in group:
        extra = {k: v for k, v in r["overrides"].items() if k not in COMMON_SET}
        lines.append(
            f"- `{r['command']}` — finished {r['date']}; config `{r['config']}`"
            + (f" with overrides `{json.dumps(extra)}`" if extra else "")
            + f"; load average before/after {r['loadavg_before'][0]:.2f} / {r['loadavg_after'][0]:.2f}"
        )
    lines.append("")
    return lines


def speed_table(corpus: str, s: Dict[str, Any]) -> List[str]:
    """The `speed` command's result for one corpus."""
    np_ = s["n_process"]
    lines = [
        f"### {corpus}: inference speed (dev texts, `nlp.pipe`, batch_size {s['batch_size']}, "
        f"medians of {s['rounds']} rounds, models alternately in one process)",
        "",
        f"| run | words/s, 1 process | ratio vs spaCy ner | words/s, n_process={np_} | ratio vs spaCy ner |",
        "|---|---|---|---|---|",
    ]
    for name, e in s["models"].items():
        lines.append(
            f"| {name} | {e['wps_1p']:,.0f} | {e.get('ratio_vs_spacy_1p', float('nan')):.2f} | "
            f"{e[f'wps_{np_}p']:,.0f} | {e.get(f'ratio_vs_spacy_{np_}p', float('nan')):.2f} |"
        )
    lines += [
        "",
        f"- `{s['command']}` — finished {s['date']}; load average before/after "
        f"{s['loadavg_before'][0]:.2f} / {s['loadavg_after'][0]:.2f}",
        "",
    ]
    return lines


def read_results(results: List[Path]) -> Tuple[Dict[str, Dict[str, Any]], Dict[str, Dict[str, Any]]]:
    """The train runs by run name and the speed results by corpus."""
    runs: Dict[str, Dict[str, Any]] = {}
    speeds: Dict[str, Dict[str, Any]] = {}
    for folder in results:
        for p in sorted(folder.glob("ner_*.json")):
            data = json.loads(p.read_text(encoding="utf8"))
            if p.name.startswith("ner_speed_"):
                speeds[data["corpus"]] = data
            else:
                runs[data["run"]] = data
    return runs, speeds


def report_cmd(
    results: List[Path] = typer.Option([REPO / "benchmarks" / "results"], "--results", help="Folders with ner_*.json"),
    output: Path = typer.Option(REPO / "benchmarks" / "results" / "notes" / "benchmarks_ner.md", "--output"),
    notes: str = typer.Option("", "--notes", help="Free text added under the title (conditions, other load)"),
    extra_md: Optional[Path] = typer.Option(None, "--extra", help="A markdown file appended at the end (observations, other tables)"),
) -> None:
    """Write markdown tables from the JSON results."""
    runs, speeds = read_results(results)
    if not runs:
        msg.fail("No results found", exits=1)
    lines = ["# NER benchmarks: BiLSTM(-CRF) vs spaCy's `ner`", ""]
    if notes:
        lines += [notes, ""]
    any_run = next(iter(runs.values()))
    m = any_run["machine"]
    lines += [
        f"Machine: {m['cpus']} CPU cores, {m['mem_gib']} GiB RAM, no GPU ({m['platform']}, Python {m['python']}); "
        f"spaCy {any_run['versions']['spacy']}, thinc {any_run['versions']['thinc']}, torch {any_run['versions']['torch']} (CPU).",
        "",
    ]
    for corpus in sorted({r["corpus"] for r in runs.values()}):
        group = sorted((r for r in runs.values() if r["corpus"] == corpus), key=lambda r: r["date"])
        lines += [f"## {corpus}: dev scores and training", ""]
        lines += head_to_head(group)
        lines += runs_table(group)
        lines += memory_table(group)
        lines += per_type_table(group)
        lines += commands_list(group)
        if corpus in speeds:
            lines += speed_table(corpus, speeds[corpus])
    lines += [
        "Training settings for every run: the shipped config's batcher (batch_by_words, compounding 100→1000), "
        "Adam lr 0.001, L2 0.01, grad_clip 1.0, dropout 0.1, plus "
        + ", ".join(f"`{k} = {v}`" for k, v in COMMON_SET.items())
        + "; each run stops at its wall-clock budget (clean stop between two updates, model-best is the best dev "
        "checkpoint). Time to best counts from the start of the `spacy train` process (initialization included). "
        "Train words/s counts update time only (evaluation passes excluded). Peak RSS is the `spacy train` child's "
        "maxrss.",
        "",
    ]
    if extra_md is not None:
        lines += [extra_md.read_text(encoding="utf8")]
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text("\n".join(lines), encoding="utf8")
    msg.good(f"Wrote {output}")
