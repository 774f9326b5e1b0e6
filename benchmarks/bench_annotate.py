"""Throughput of `annotate`: 1 vs 2 processes (local) and Ray with 1 vs 2 workers.

Builds a JSONL corpus of N documents from sentences of a .spacy file (e.g. the
converted CoNLL-2003 or BC5CDR dev set), then times each engine on it and
records docs/s, words/s, scaling efficiency and peak memory (resident memory
of this process and all its descendants, sampled from /proc every 0.5 s).

    python -m benchmarks.bench_annotate MODEL CORPUS.spacy --n-docs 20000 --output benchmarks/results/annotate.json
"""
import json
import os
import threading
import time
from pathlib import Path
from typing import Dict, List

import spacy
import typer
from spacy.tokens import DocBin
from wasabi import msg

from spacy_bilstm_crf.annotate import annotate_local


def make_corpus(source: Path, n_docs: int, path: Path) -> int:
    """n_docs JSONL lines, each a document of the source (cycled). Returns words."""
    nlp = spacy.blank("en")
    docs = list(DocBin().from_disk(source).get_docs(nlp.vocab))
    words = 0
    with path.open("w", encoding="utf8") as f:
        for i in range(n_docs):
            doc = docs[i % len(docs)]
            words += len(doc)
            f.write(json.dumps({"id": i, "text": doc.text}, ensure_ascii=False) + "\n")
    return words


def tree_rss_mb(root: int) -> float:
    """Resident memory of `root` and all its descendants (forked workers, and
    Ray's raylet, object store and worker processes), from /proc."""
    children: Dict[int, List[int]] = {}
    rss: Dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/statm") as f:
                rss[int(entry)] = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total / 2**20


class PeakMemory:
    """Samples the process tree's resident memory every `interval` seconds."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval, self.peak, self._stop = interval, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss_mb(os.getpid()))
            self._stop.wait(self.interval)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def main(
    model: Path = typer.Argument(..., help="Trained pipeline"),
    source: Path = typer.Argument(..., help=".spacy file whose docs make the corpus"),
    n_docs: int = typer.Option(20000, help="Documents in the corpus"),
    workdir: Path = typer.Option(Path("/tmp/bench_annotate"), help="Scratch directory"),
    output: Path = typer.Option(Path("benchmarks/results/annotate.json"), help="JSON results"),
    ray_engine: bool = typer.Option(True, "--ray/--no-ray", help="Also time the Ray engine"),
    threads: int = typer.Option(1, help="torch threads in the single local process (workers always get 1)"),
) -> None:
    import torch

    torch.set_num_threads(threads)
    workdir.mkdir(parents=True, exist_ok=True)
    corpus = workdir / "corpus.jsonl"
    words = make_corpus(source, n_docs, corpus)
    msg.info(f"{n_docs} docs, {words} words")
    results: List[Dict] = []
    runs = [("local", 1), ("local", 2)] + ([("ray", 1), ("ray", 2)] if ray_engine else [])
    for engine, workers in runs:
        out = workdir / f"{engine}{workers}"
        for stale in [out, out.parent / (out.name + ".progress.json"), out.parent / (out.name + ".rejects.jsonl")]:
            if stale.is_dir():
                for f in stale.iterdir():
                    f.unlink()
            elif stale.exists():
                stale.unlink()
        with PeakMemory() as memory:
            start = time.perf_counter()
            if engine == "local":
                annotate_local(model, corpus, out, n_process=workers, batch_size=256, progress=True)
            else:
                import ray

                from spacy_bilstm_crf.annotate.ray_engine import annotate_ray

                annotate_ray(model, corpus, out, num_workers=workers, batch_size=256, chunk_size=n_docs)
            seconds = time.perf_counter() - start
            if engine == "ray":
                ray.shutdown()
        row = {"engine": engine, "workers": workers, "seconds": seconds, "docs_per_s": n_docs / seconds,
               "words_per_s": words / seconds}
        row["peak_rss_tree_mb"] = memory.peak
        results.append(row)
        msg.good(f"{engine} x{workers}: {row['docs_per_s']:.0f} docs/s, {row['words_per_s']:.0f} words/s")
    for row in results:
        base = next(r for r in results if r["engine"] == row["engine"] and r["workers"] == 1)
        row["scaling_efficiency"] = row["docs_per_s"] / (base["docs_per_s"] * row["workers"])
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps({"n_docs": n_docs, "words": words, "model": str(model), "runs": results}, indent=2))
    msg.table([[r["engine"], r["workers"], f"{r['docs_per_s']:.0f}", f"{r['words_per_s']:.0f}",
                f"{r['scaling_efficiency']:.2f}", f"{r['peak_rss_tree_mb']:.0f}"] for r in results],
              header=["engine", "workers", "docs/s", "words/s", "scaling eff.", "peak RSS MB (process tree)"],
              divider=True)


if __name__ == "__main__":
    typer.run(main)
