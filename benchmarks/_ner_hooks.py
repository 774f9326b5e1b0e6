"""spaCy registry functions that `bench_ner.py` loads into `spacy train` with
`--code benchmarks/_ner_hooks.py`.

* `bench_ner.TimedLogger.v1`: spaCy's ConsoleLogger.v3 (table on stdout) plus a
  JSONL file with one line per evaluation: step, epoch, score, scores, words
  seen, wall seconds since the logger was set up, and seconds spent in updates
  only (the gaps between steps that had no evaluation), so that training
  words/s excludes the evaluation passes. `bench_ner.TimedLogger.v2` adds the
  process's resident memory (VmRSS, and its peak VmHWM) to every evaluation
  row and, every `memory_every` steps, a `memory` row: the memory curve.
* `bench_ner.stop_after.v1`: a `[training] before_update` callback that stops
  training cleanly once a wall-clock budget is spent (`bench_ner.stop_after_cpu.v1`:
  a budget of this process's CPU seconds, which other jobs on a shared machine do
  not eat into), by raising
  `BudgetExhausted` *between* two updates. spaCy's training loop then saves
  model-last in its `finally:` block; model-best was saved at every
  improvement and is never interrupted half-written.
"""
import json
import os
import sys
import time
from pathlib import Path
from typing import IO, Any, Callable, Dict, Optional, Tuple

from spacy.training.loggers import console_logger_v3
from spacy.util import registry

if int(os.environ.get("BENCH_NER_TORCH_THREADS", "0")) > 0:
    import torch

    torch.set_num_threads(int(os.environ["BENCH_NER_TORCH_THREADS"]))

# Shared by the logger and the callback: the training process start.
_T0 = float(os.environ.get("BENCH_NER_T0", time.time()))


class BudgetExhausted(RuntimeError):
    """Raised by bench_ner.stop_after.v1 once the wall-clock budget is spent."""


@registry.callbacks("bench_ner.stop_after.v1")
def stop_after(max_seconds: float) -> Callable[[Any, Dict[str, Any]], None]:
    def before_update(nlp: Any, args: Dict[str, Any]) -> None:
        elapsed = time.time() - _T0
        if max_seconds > 0 and elapsed > max_seconds:
            raise BudgetExhausted(
                f"bench_ner: wall-clock budget of {max_seconds:.0f}s spent at step {args['step']}"
            )

    return before_update


@registry.callbacks("bench_ner.stop_after_cpu.v1")
def stop_after_cpu(max_seconds: float) -> Callable[[Any, Dict[str, Any]], None]:
    """Like stop_after.v1, on the CPU time of this process (all its threads): with
    one thread a run gets the same compute whatever else the machine is doing."""

    def before_update(nlp: Any, args: Dict[str, Any]) -> None:
        used = time.process_time()
        if max_seconds > 0 and used > max_seconds:
            raise BudgetExhausted(
                f"bench_ner: CPU budget of {max_seconds:.0f}s spent at step {args['step']}"
            )

    return before_update


def memory_mib() -> Dict[str, float]:
    """This process's resident set now (VmRSS) and its peak so far (VmHWM), in MiB."""
    out = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":")
                out["rss_mib" if key == "VmRSS" else "hwm_mib"] = int(value.split()[0]) / 1024
    return out


@registry.loggers("bench_ner.TimedLogger.v1")
def timed_logger(output_file: str):
    return timed_logger_v2(output_file, memory_every=0)


@registry.loggers("bench_ner.TimedLogger.v2")
def timed_logger_v2(output_file: str, memory_every: int = 50):
    console = console_logger_v3(progress_bar=None, console_output=True, output_file=None)

    def setup_printer(nlp: Any, stdout: IO = sys.stdout, stderr: IO = sys.stderr):
        log_console, finalize_console = console(nlp, stdout, stderr)
        path = Path(output_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        stream = open(path, "w", encoding="utf8")
        state = {"prev": time.time(), "update_s": 0.0, "last_gap": None}
        stream.write(json.dumps({"event": "start", "wall_s": state["prev"] - _T0}) + "\n")
        stream.flush()

        def log_step(info: Optional[Dict[str, Any]]) -> None:
            now = time.time()
            gap = now - state["prev"]
            state["prev"] = now
            state["steps"] = state.get("steps", -1) + 1  # spaCy calls this once per step, from step 0
            if memory_every and state["steps"] % memory_every == 0:
                row = {"event": "memory", "step": state["steps"], "wall_s": now - _T0, "cpu_s": time.process_time()}
                stream.write(json.dumps({**row, **memory_mib()}) + "\n")
            if info is None:
                state["update_s"] += gap
                state["last_gap"] = gap
                log_console(info)
                return
            # An evaluation step: count one ordinary update for it.
            state["update_s"] += state["last_gap"] or 0.0
            row = {
                "event": "eval",
                "step": info["step"],
                "epoch": info["epoch"],
                "score": float(info["score"]),
                "scores": {
                    k: v for k, v in info["other_scores"].items() if isinstance(v, (int, float))
                },
                "ents_per_type": info["other_scores"].get("ents_per_type"),
                "losses": {k: float(v) for k, v in info["losses"].items()},
                "words": info["words"],
                "wall_s": now - _T0,
                "update_s": state["update_s"],
                # CPU seconds of this process (all threads): less sensitive to other load than wall_s.
                "cpu_s": time.process_time(),
                **(memory_mib() if memory_every else {}),
            }
            stream.write(json.dumps(row) + "\n")
            stream.flush()
            log_console(info)

        def finalize() -> None:
            stream.write(json.dumps({"event": "end", "wall_s": time.time() - _T0}) + "\n")
            stream.close()
            finalize_console()

        return log_step, finalize

    return setup_printer
