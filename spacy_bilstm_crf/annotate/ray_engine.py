"""`annotate` on a Ray cluster with Ray Data: a pool of actors, each loading
the pipeline once and mapping batches with `nlp.pipe`.

The input is cut into chunks of `chunk_size` consecutive lines; each chunk
becomes a Ray dataset whose rows carry their input line numbers, and is
written as one output shard (`part-NNNNN.jsonl`, plus
`part-NNNNN.rejects.jsonl`) once it is complete. Order: rows are sorted by
line within a shard. The guarantees of the local engine hold: options are
checked and the job is bound to its input, model and options before any work
(the checkpoint `<output_dir>.progress.json` lists the finished shards with
their SHA-256, and a shard on disk that is missing or differs refuses the
resume); a document that fails becomes a reject. `ray` is an optional extra:
`pip install spacy-bilstm-crf[ray]`.
"""
import json
import os
from itertools import islice
from pathlib import Path
from typing import Any, Dict, List

from .io import OutputFields, Record, Reject, read_records, render_json
from .isolate import annotate_in_order
from .job import Job, open_job
from .local import load_model
from .options import AnnotateOptions
from .writers import ShardSet

SUFFIXES = [".jsonl", ".rejects.jsonl"]


class _Annotator:
    """One per actor: the pipeline is loaded once, then maps batches."""

    def __init__(self, model: str, torch_threads: int, field_prefix: str) -> None:
        import spacy
        import torch

        from .local import spans_key

        torch.set_num_threads(torch_threads)
        self.nlp = spacy.load(model)
        self.spans_key = spans_key(self.nlp)
        self.names = OutputFields(field_prefix)

    def __call__(self, batch: Dict[str, Any]) -> Dict[str, Any]:
        import numpy

        records = [Record(int(line), str(text), json.loads(fields), raw_fields=json.loads(raw))
                   for line, text, fields, raw in zip(batch["line"], batch["text"], batch["fields"], batch["raw"])]
        lines, out, errors = [], [], []
        for item, doc in annotate_in_order(self.nlp, iter(records), batch_size=max(1, len(records))):
            rendered, error = "", ""
            if isinstance(item, Reject):
                error = item.error
            else:
                try:
                    rendered = render_json(doc, item, self.spans_key, self.names).decode("utf8").rstrip("\n")
                except ValueError as err:
                    error = str(err)
            lines.append(item.line)
            out.append(rendered)
            errors.append(error)
        return {"line": numpy.asarray(lines), "json": numpy.asarray(out, dtype=object),
                "error": numpy.asarray(errors, dtype=object)}


def annotate_ray(model: Path, input_path: Path, output_dir: Path, **options: Any) -> Dict[str, int]:
    """Annotate `input_path` into JSONL shards under `output_dir` on Ray;
    re-running resumes after the last finished shard. `options` are
    `AnnotateOptions` fields. Starts a local Ray instance with `num_workers`
    CPUs unless one is already initialised (`ray.init(address=...)` first to
    use a cluster). Raises `AnnotateError` if the job must not start."""
    opts = AnnotateOptions(engine="ray", **options).resolve(input_path)
    with open_job(model, input_path, output_dir, opts) as job:
        load_model(job.model)  # loads and runs here first: a broken model fails before any work
        job.begin()
        return _run(job, opts)


def _run(job: Job, opts: AnnotateOptions) -> Dict[str, int]:
    shards = ShardSet(job.output_path, SUFFIXES, job.outputs("shards"), job.checkpoint.refuse,
                      extra_ok=job.resumable)
    tally = job.tally()
    position = job.start

    def save(complete: bool) -> None:
        job.checkpoint.save(job.binding, position.state(), {"shards": shards.state()}, tally.totals, complete)

    save(complete=not job.resumable)  # before the first line: the checkpoint can be written
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import ray

    if not ray.is_initialized():
        ray.init(num_cpus=opts.num_workers, include_dashboard=False, log_to_driver=False)
    ray.data.DataContext.get_current().execution_options.preserve_order = True
    items = read_records(job.input_path, opts.input_format, start=job.start, size=job.size,
                         max_line_bytes=opts.max_line_bytes, non_finite=opts.non_finite)
    while True:
        chunk = list(islice(items, opts.chunk_size))
        if not chunk:
            break
        results = _annotate_chunk(ray, job.model, chunk, opts)
        shard: List[str] = []
        rejects: List[bytes] = []
        for item in chunk:
            if isinstance(item, Record):
                rendered, error = results[item.line]
                if not error:
                    shard.append(rendered)
                    tally.count("docs")
                    tally.count("nulled", item.nulled)
                    continue
                item = Reject(item.line, error, item.raw, item.end)
            rejects.append(item.to_bytes())
            tally.count("rejected")
        shards.add({".jsonl": "".join(line + "\n" for line in shard).encode("utf8"),
                    ".rejects.jsonl": b"".join(rejects)})
        position = chunk[-1].end
        save(complete=False)
    save(complete=True)
    return tally.summary(job.start, skipped_shards=len(job.outputs("shards") or []), complete=1)


def _annotate_chunk(ray, model: Path, chunk: List, opts: AnnotateOptions) -> Dict[int, tuple]:
    """line -> (JSON line, error) for the records of a chunk."""
    good = [{"line": r.line, "text": r.text, "fields": json.dumps(r.fields, allow_nan=False),
             "raw": json.dumps(r.raw_fields)} for r in chunk if isinstance(r, Record)]
    if not good:
        return {}
    dataset = ray.data.from_items(good).map_batches(
        _Annotator,
        fn_constructor_kwargs={"model": str(model), "torch_threads": opts.torch_threads,
                               "field_prefix": opts.field_prefix},
        batch_size=opts.batch_size,
        concurrency=opts.num_workers,
        num_cpus=1,
    )
    return {int(row["line"]): (row["json"], row["error"]) for row in dataset.iter_rows()}
