"""`annotate` on a Ray cluster with Ray Data: a pool of actors, each loading
the pipeline once and mapping batches with `nlp.pipe`.

The input is cut into chunks of consecutive lines; each chunk becomes a Ray
dataset whose rows carry their input line numbers, and is written as one
output shard (`part-NNNNN.jsonl`, plus `part-NNNNN.rejects.jsonl`) once it is
complete. Order: Ray Data does not keep order by default, so we ask it to
(`preserve_order`) and also sort each shard by line. Resume: finished shards
are skipped. `ray` is an optional extra: `pip install spacy-bilstm-crf[ray]`.
"""
import json
import os
from itertools import islice
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Union

from .io import Record, Reject, detect_format, doc_to_json, read_records


class _Annotator:
    """One per actor: the pipeline is loaded once, then maps batches."""

    def __init__(self, model: str, torch_threads: int) -> None:
        import spacy
        import torch

        torch.set_num_threads(torch_threads)
        self.nlp = spacy.load(model)
        self.spans_key = next(
            (p.spans_key for _, p in self.nlp.pipeline if getattr(p, "spans_key", None)), None
        )

    def __call__(self, batch: Dict[str, Any]) -> Dict[str, Any]:
        import numpy

        out = []
        lines = [int(x) for x in batch["line"]]
        for doc, line, fields in zip(self.nlp.pipe(list(batch["text"])), lines, batch["fields"]):
            record = Record(line, doc.text, json.loads(fields))
            out.append(json.dumps(doc_to_json(doc, record, self.spans_key), ensure_ascii=False))
        return {"line": numpy.asarray(lines), "json": numpy.asarray(out, dtype=object)}


def _chunks(items: Iterator[Union[Record, Reject]], size: int) -> Iterator[List]:
    """Chunks of `size` consecutive input lines (records and rejects)."""
    while True:
        chunk = list(islice(items, size))
        if not chunk:
            return
        yield chunk


def _atomic_write(path: Path, lines: List[str]) -> None:
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf8") as f:
        for line in lines:
            f.write(line + "\n")
    os.replace(tmp, path)


def annotate_ray(
    model: Path,
    input_path: Path,
    output_dir: Path,
    *,
    input_format: Optional[str] = None,
    num_workers: int = 2,
    batch_size: int = 256,
    chunk_size: int = 20000,
    torch_threads: int = 1,
) -> Dict[str, int]:
    """Annotate `input_path` into JSONL shards under `output_dir` on Ray.

    Starts a local Ray instance with `num_workers` CPUs unless one is already
    initialised (`ray.init(address=...)` first to use a cluster).
    """
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import ray

    if not ray.is_initialized():
        ray.init(num_cpus=num_workers, include_dashboard=False, log_to_driver=False)
    ray.data.DataContext.get_current().execution_options.preserve_order = True
    input_format = input_format or detect_format(input_path)
    output_dir.mkdir(parents=True, exist_ok=True)
    stats = {"docs": 0, "rejected": 0, "skipped_shards": 0}
    records = read_records(input_path, input_format)
    for index, chunk in enumerate(_chunks(records, chunk_size)):
        shard = output_dir / f"part-{index:05d}.jsonl"
        rejects_path = output_dir / f"part-{index:05d}.rejects.jsonl"
        if shard.exists() and rejects_path.exists():
            stats["skipped_shards"] += 1
            continue
        good = [
            {"line": r.line, "text": r.text, "fields": json.dumps(r.fields)} for r in chunk if isinstance(r, Record)
        ]
        rejects = [
            json.dumps({"line": r.line, "error": r.error, "raw": r.raw}, ensure_ascii=False)
            for r in chunk
            if isinstance(r, Reject)
        ]
        rows: List[Dict[str, Any]] = []
        if good:
            dataset = ray.data.from_items(good).map_batches(
                _Annotator,
                fn_constructor_kwargs={"model": str(model), "torch_threads": torch_threads},
                batch_size=batch_size,
                concurrency=num_workers,
                num_cpus=1,
            )
            rows = sorted(dataset.iter_rows(), key=lambda row: int(row["line"]))
        _atomic_write(rejects_path, rejects)
        _atomic_write(shard, [row["json"] for row in rows])
        stats["docs"] += len(rows)
        stats["rejected"] += len(rejects)
    return stats
