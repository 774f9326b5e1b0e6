"""Where training memory goes: a profile of `nlp.update` over real batches.

For each phase of our component's update (the model's forward pass, the gold
alignment, the loss with the CRF's forward-backward, the backward pass, the
optimizer step with its parameter averages) it measures, every step:

* the peak resident memory above the phase's start (Linux: VmHWM, reset before
  each phase through /proc/self/clear_refs), which sees numpy, torch and
  Python alike, and what the phase left resident;
* with tracemalloc, the peak of Python and numpy allocations above the phase's
  start (torch's CPU allocator is not traced: the difference is torch's);
* its CPU time: tracemalloc slows Python-heavy phases several-fold, so time
  a run with --no-trace (resident memory and CPU time only);

with --dev, the same for an evaluation every --eval-every updates (as
`spacy train` evaluates, with the averaged weights); and over the run: the
highest resident memory seen in a measured phase, the resident memory after
each step and
the highest seen so far (rss_curve: step, VmRSS, peak), what one `malloc_trim`
gives back at the end (free heap held by glibc), the traced allocations that
grew from the first measured step to the last (caches that grow with the
number of distinct lengths would show there), and the bytes of the
parameters, their gradients, Adam's two moments and the averages. With a
pipeline without our component (configs/spacy_ner.cfg) only whole updates
are measured, for comparison.

    python -m benchmarks.profile_memory configs/bilstm_crf.cfg TRAIN.spacy --steps 200 \\
        --batch-words 1000 --output benchmarks/results/memory/profile_bilstm_crf.json

One thread (as bench_ner's trainings); Linux only (the /proc files).
"""
import contextlib
import json
import os
import statistics
import time
import tracemalloc
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

import typer

from benchmarks._common import command, parse_settings

app = typer.Typer(add_completion=False)

MIB = 1024.0 * 1024.0


def _status_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))


def _reset_peak() -> None:
    """Reset VmHWM to the current VmRSS (Linux >= 4.0)."""
    with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
        refs.write("5")


class PhaseMeter:
    """Per-phase peak and retained memory, resident and traced. Phases nest
    (the whole update holds the others): resetting the peak for an inner
    phase would hide the outer one's, so each phase's absolute peak is
    handed up to the phase that holds it."""

    def __init__(self, trace: bool = True) -> None:
        self.rows: Dict[str, List[Dict[str, float]]] = {}
        self.active = False
        self.trace = trace
        self._stack: List[Dict[str, int]] = []
        self.max_rss_kib = 0  # the highest resident memory seen in any phase

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        if not self.active:
            yield
            return
        frame = {"rss0": _status_kib("VmRSS"), "traced0": tracemalloc.get_traced_memory()[0] if self.trace else 0,
                 "rss_peak": 0, "traced_peak": 0, "cpu0": time.process_time()}
        self._stack.append(frame)
        _reset_peak()
        if self.trace:
            tracemalloc.reset_peak()
        try:
            yield
        finally:
            self._stack.pop()
            cpu_ms = (time.process_time() - frame["cpu0"]) * 1000.0
            traced1, traced_peak = tracemalloc.get_traced_memory() if self.trace else (0, 0)
            rss_peak = max(_status_kib("VmHWM"), frame["rss_peak"])
            traced_peak = max(traced_peak, frame["traced_peak"])
            self.max_rss_kib = max(self.max_rss_kib, rss_peak)
            if self._stack:
                parent = self._stack[-1]
                parent["rss_peak"] = max(parent["rss_peak"], rss_peak)
                parent["traced_peak"] = max(parent["traced_peak"], traced_peak)
            row = {
                "rss_peak_mib": (rss_peak - frame["rss0"]) / 1024.0,
                "rss_kept_mib": (_status_kib("VmRSS") - frame["rss0"]) / 1024.0,
                "cpu_ms": cpu_ms,
            }
            if self.trace:
                row["traced_peak_mib"] = (traced_peak - frame["traced0"]) / MIB
                row["traced_kept_mib"] = (traced1 - frame["traced0"]) / MIB
            self.rows.setdefault(name, []).append(row)

    def summary(self) -> Dict[str, Dict[str, float]]:
        out = {}
        for name, rows in self.rows.items():
            out[name] = {"calls": len(rows)}
            for key in rows[0]:
                values = [row[key] for row in rows]
                out[name][key + "_median"] = round(statistics.median(values), 2)
                out[name][key + "_max"] = round(max(values), 2)
        return out


def _update_row(step: int, batch: List[Any], meter: PhaseMeter, nlp: Any, annotates: List[str],
                release_every: int) -> Dict[str, Any]:
    """One update: its batch's shape, how many updates after the last heap
    trim it ran, and each phase's peak above its start (MiB), to find what
    makes the largest peaks. (`nlp.update` annotates copies of the batch's
    docs, so the sentences are set again here on copies.)"""
    docs = [eg.predicted.copy() for eg in batch]
    for name in annotates:
        docs = [nlp.get_pipe(name)(doc) for doc in docs]
    sentences = [len(sent) for doc in docs if doc.has_annotation("SENT_START") for sent in doc.sents]
    row: Dict[str, Any] = {
        "step": step, "words": sum(len(doc) for doc in docs), "docs": len(docs),
        "longest_doc": max((len(doc) for doc in docs), default=0),
        "sentences": len(sentences), "longest_sentence": max(sentences, default=0),
        "updates_since_trim": (step - 1) % release_every if release_every else None,
    }
    for name, rows in meter.rows.items():
        if not name.startswith("evaluate") and rows:
            row[name] = round(rows[-1]["rss_peak_mib"], 1)
    return row


def _instrument(nlp: Any, meter: PhaseMeter) -> bool:
    """Wrap the phases of our component's update; False without it."""
    from thinc.api import Model

    from spacy_bilstm_crf.pipeline import ner as ner_module
    from spacy_bilstm_crf.pipeline.ner import BiLSTMCRFNER

    ner = next((pipe for _, pipe in nlp.pipeline if isinstance(pipe, BiLSTMCRFNER)), None)
    if ner is None:
        return False
    begin_update = Model.begin_update

    def timed_begin_update(self: Model, X: Any) -> Any:
        if self is not ner.model:
            return begin_update(self, X)
        with meter.phase("forward (tok2vec + BiLSTM)"):
            Y, backprop = begin_update(self, X)

        def timed_backprop(dY: Any) -> Any:
            with meter.phase("backward (BiLSTM + tok2vec)"):
                return backprop(dY)

        return Y, timed_backprop

    Model.begin_update = timed_begin_update  # type: ignore[assignment]
    # The gold aligner is a function of pipeline/_ner/gold.py that the component's module calls.
    for owner, name, label in (
        (ner_module, "gold_tag_ids", "gold alignment"),
        (BiLSTMCRFNER, "get_loss", "loss (gold alignment + CRF forward-backward)"),
        (BiLSTMCRFNER, "finish_update", "optimizer step + averages"),
    ):
        original = getattr(owner, name)

        def wrapped(*args: Any, _original: Callable = original, _label: str = label, **kwargs: Any) -> Any:
            with meter.phase(_label):
                return _original(*args, **kwargs)

        setattr(owner, name, wrapped)
    return True


def _optimizer_bytes(optimizer: Any) -> Dict[str, float]:
    def total(arrays: Any) -> float:
        return sum(getattr(a, "nbytes", 0) for a in arrays) / MIB

    return {
        "adam_mom1_mib": round(total(optimizer.mom1.values()), 2),
        "adam_mom2_mib": round(total(optimizer.mom2.values()), 2),
        "averages_mib": round(total((optimizer.averages or {}).values()), 2),
    }


def _param_bytes(nlp: Any) -> Dict[str, float]:
    params = grads = 0
    for _, pipe in nlp.pipeline:
        model = getattr(pipe, "model", None)
        if model is None:
            continue
        for node in model.walk():
            for name in node.param_names:
                if node.has_param(name):
                    params += node.get_param(name).nbytes
                if node.has_grad(name):
                    grads += node.get_grad(name).nbytes
    return {"params_mib": round(params / MIB, 2), "grads_mib": round(grads / MIB, 2)}


@app.command()
def main(
    config_path: Path = typer.Argument(..., exists=True, help="A training config (ours or configs/spacy_ner.cfg)"),
    train_path: Path = typer.Argument(..., exists=True, help="Training .spacy file"),
    steps: int = typer.Option(200, help="Updates to run"),
    warmup: int = typer.Option(20, help="Updates before measuring (allocator and caches settle)"),
    batch_words: int = typer.Option(1000, help="Words per batch (constant)"),
    top: int = typer.Option(12, help="Lines of traced growth, and updates with the highest peaks, to keep"),
    output: Optional[Path] = typer.Option(None, help="JSON output"),
    set_: List[str] = typer.Option([], "--set", help="Config override KEY=VALUE (JSON value), repeatable"),
    trace: bool = typer.Option(True, help="Trace Python/numpy allocations (tracemalloc); --no-trace for CPU times"),
    dev_path: Optional[Path] = typer.Option(None, "--dev", exists=True, help="Dev .spacy to evaluate on, as spacy train does"),
    eval_every: int = typer.Option(100, help="With --dev: evaluate every this many updates (with the averages)"),
) -> None:
    import spacy
    import torch
    from spacy.training.initialize import init_nlp
    from spacy.training.loop import create_train_batches
    from spacy.util import load_config, registry, resolve_dot_names

    from spacy_bilstm_crf import memory

    torch.set_num_threads(1)
    overrides: Dict[str, Any] = {
        "paths.train": str(train_path),
        "paths.dev": str(dev_path or train_path),
        "training.batcher.size": batch_words,
        **parse_settings(set_),
    }
    config = load_config(config_path, overrides=overrides, interpolate=False)
    t0 = time.time()
    nlp = init_nlp(config)
    config = nlp.config.interpolate()
    T = registry.resolve(config["training"], schema=spacy.schemas.ConfigSchemaTraining)
    train_corpus, dev_corpus = resolve_dot_names(config, [T["train_corpus"], T["dev_corpus"]])
    optimizer = T["optimizer"]
    # As `spacy train` batches: the corpus in memory, shuffled every epoch.
    batches = (batch for _, batch in create_train_batches(nlp, train_corpus, T["batcher"], T["max_epochs"]))
    meter = PhaseMeter(trace)
    ours = _instrument(nlp, meter)
    release_every = next((pipe.release_memory_every for _, pipe in nlp.pipeline
                          if hasattr(pipe, "release_memory_every")), 0)
    rss_curve = []
    updates: List[Dict[str, Any]] = []
    first_snapshot = None
    rss_after_init = _status_kib("VmRSS") / 1024.0
    hwm_after_init = _status_kib("VmHWM") / 1024.0
    with typer.progressbar(range(steps), label=f"{config_path.name}: updates") as progress:
        for step in progress:
            if step == warmup:
                if trace:
                    tracemalloc.start(12)
                meter.active = True
            batch = next(batches)
            losses: Dict[str, float] = {}
            with meter.phase("whole update"):
                nlp.update(batch, sgd=optimizer, drop=T["dropout"], losses=losses,
                           annotates=T["annotating_components"])
            if meter.active:
                updates.append(_update_row(step + 1, batch, meter, nlp, T["annotating_components"], release_every))
            if step == warmup and trace:
                first_snapshot = tracemalloc.take_snapshot()
            if dev_path is not None and (step + 1) % eval_every == 0:
                with meter.phase("evaluate (dev, averaged weights)"), nlp.use_params(optimizer.averages):
                    nlp.evaluate(dev_corpus(nlp))
            step_peak = max(meter.max_rss_kib, _status_kib("VmHWM")) if meter.active else 0
            rss_curve.append([step + 1, round(_status_kib("VmRSS") / 1024.0, 1), round(step_peak / 1024.0, 1)])
    growth = []
    if first_snapshot is not None:
        last_snapshot = tracemalloc.take_snapshot()
        tracemalloc.stop()
        for stat in last_snapshot.compare_to(first_snapshot, "lineno")[:top]:
            frame = stat.traceback[0]
            growth.append({"where": f"{os.path.relpath(frame.filename)}:{frame.lineno}",
                           "grew_kib": round(stat.size_diff / 1024.0, 1), "now_kib": round(stat.size / 1024.0, 1)})
    rss_before_trim = _status_kib("VmRSS") / 1024.0
    trimmed = memory.release_free_memory()
    result = {
        "config": str(config_path),
        "train": str(train_path),
        "command": command("benchmarks.profile_memory"),
        "date": time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime()),
        "steps": steps,
        "warmup": warmup,
        "batch_words": batch_words,
        "overrides": overrides,
        "wall_s": round(time.time() - t0, 1),
        "ours": ours,
        "traced": trace,
        "malloc_env": {key: value for key, value in os.environ.items() if key.startswith("MALLOC_")},
        # as the run saw it: the package sets a default when it is not given
        "onednn_primitive_cache_capacity": os.environ.get("ONEDNN_PRIMITIVE_CACHE_CAPACITY"),
        "rss_after_init_mib": round(rss_after_init, 1),
        "hwm_after_init_mib": round(hwm_after_init, 1),
        "rss_end_mib": round(rss_before_trim, 1),
        "peak_measured_mib": round(meter.max_rss_kib / 1024.0, 1),
        "rss_after_malloc_trim_mib": round(_status_kib("VmRSS") / 1024.0, 1) if trimmed else None,
        "phases": meter.summary(),
        "static": {**_param_bytes(nlp), **_optimizer_bytes(optimizer)},
        "traced_growth": growth,
        "top_updates": sorted(updates, key=lambda row: -row["whole update"])[:top],
        "rss_curve": rss_curve,
    }
    text = json.dumps(result, indent=2)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text + "\n", encoding="utf8")
    summary = {k: v for k, v in result.items() if k not in ("rss_curve", "overrides")}
    typer.echo(json.dumps(summary, indent=2))


if __name__ == "__main__":
    app()
