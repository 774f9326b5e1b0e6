"""`annotate` on a Ray cluster: a pool of `num_workers` actors, each loading
the pipeline once for the whole job and annotating batches with `nlp.pipe`.

The input is cut into chunks of `chunk_size` consecutive lines; the batches
of a chunk go to the pool (`ray.util.ActorPool`, results in submission
order), and the chunk is written as one output shard (`part-NNNNN.jsonl`, or
`part-NNNNN.spacy` with `--output-format docbin`, plus
`part-NNNNN.rejects.jsonl`) once it is complete. With `--silver` the DocBin
shards are a silver set, as on the local engine: each actor switches its
teacher's probabilities on once and turns every doc into a silver doc, and
the manifest is written from the shards when the job is complete. The pool outlives the
chunks: a pipeline is loaded once per worker, not once per chunk (as a Ray
dataset per chunk would: each starts its own actors). Order: rows are sorted
by line within a shard. The guarantees of the local engine hold: options are
checked and the job is bound to its input, model and options before any work
(the checkpoint `<output_dir>.progress.json` lists the finished shards with
their SHA-256, and a shard on disk that is missing or differs refuses the
resume); a document that fails becomes a reject. `ray` is an optional extra:
`pip install spacy-bilstm-crf[ray]`.
"""
import json
import os
from contextlib import ExitStack
from itertools import islice
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from .io import OutputFields, Record, Reject, check_docbin_storable, docbin_doc, read_records, render_json
from .isolate import annotate_in_order
from .job import Job, open_job
from .local import load_model
from .options import AnnotateOptions
from .silver_set import SilverOutput
from .writers import ShardSet

REJECTS = ".rejects.jsonl"
OUTPUT = {"jsonl": ".jsonl", "docbin": ".spacy"}


class _Annotator:
    """One per actor: the pipeline is loaded once, then annotates batches
    into JSON lines, or into one DocBin per batch (silver docs with
    `silver`: the teacher's probabilities stay switched on for the actor's
    life)."""

    def __init__(self, model: str, torch_threads: int, field_prefix: str, output_format: str = "jsonl",
                 silver: bool = False) -> None:
        import spacy
        import torch

        from ..silver.teacher import find_teacher, scores_switched_on
        from .local import spans_key

        torch.set_num_threads(torch_threads)
        self.nlp = spacy.load(model)
        self.spans_key = spans_key(self.nlp)
        self.names = OutputFields(field_prefix)
        self.output_format = output_format
        self.teacher = find_teacher(self.nlp) if silver else None
        self.scores = ExitStack()
        if self.teacher is not None:
            self.scores.enter_context(scores_switched_on(self.teacher))

    def annotate(self, batch: Dict[str, Any]) -> Dict[str, Any]:
        """A batch's columns (`_columns`) -> its lines, an error per line
        ("" if none), a JSON line per line without one (`json`; "" for
        DocBin output), and for DocBin output one DocBin of their docs in
        line order (`docbin`; None for JSONL)."""
        from spacy.tokens import DocBin

        from ..silver.teacher import silver_doc

        records = [Record(int(line), str(text), json.loads(fields), raw_fields=json.loads(raw))
                   for line, text, fields, raw in zip(batch["line"], batch["text"], batch["fields"], batch["raw"])]
        lines: List[int] = []
        out: List[str] = []
        errors: List[str] = []
        docbin = DocBin(store_user_data=True)
        for item, doc in annotate_in_order(self.nlp, iter(records), batch_size=max(1, len(records))):
            rendered, error = "", ""
            if isinstance(item, Reject):
                error = item.error
            else:
                try:
                    if self.output_format == "jsonl":
                        rendered = render_json(doc, item, self.spans_key, self.names).decode("utf8").rstrip("\n")
                    else:
                        doc = docbin_doc(silver_doc(doc, self.teacher) if self.teacher is not None else doc, item)
                        check_docbin_storable(doc.user_data)
                        docbin.add(doc)
                except ValueError as err:
                    error = str(err)
            lines.append(item.line)
            out.append(rendered)
            errors.append(error)
        return {"line": lines, "error": errors, "json": out,
                "docbin": docbin.to_bytes() if self.output_format == "docbin" else None}


def annotate_ray(model: Path, input_path: Path, output_dir: Path, **options: Any) -> Dict[str, int]:
    """Annotate `input_path` into JSONL or DocBin shards (a silver set with
    `silver=True`) under `output_dir` on Ray; re-running resumes after the
    last finished shard. `options` are `AnnotateOptions` fields. Starts a local Ray instance with `num_workers`
    CPUs unless one is already initialised (`ray.init(address=...)` first to
    use a cluster). Raises `AnnotateError` if the job must not start."""
    opts = AnnotateOptions(engine="ray", **options).resolve(input_path)
    with open_job(model, input_path, output_dir, opts) as job:
        if opts.silver:
            SilverOutput.check_folder(job)
        nlp, _ = load_model(job.model)  # loads and runs here first: a broken model fails before any work
        silver = SilverOutput(nlp, job) if opts.silver else None
        job.begin()
        if silver is not None:
            silver.start()
        return _run(job, opts, silver)


def _run(job: Job, opts: AnnotateOptions, silver: Optional[SilverOutput] = None) -> Dict[str, int]:
    suffix = OUTPUT[opts.output_format]
    shards = ShardSet(job.output_path, [suffix, REJECTS], job.outputs("shards"), job.checkpoint.refuse,
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
    items = read_records(job.input_path, opts.input_format, start=job.start, size=job.size,
                         max_line_bytes=opts.max_line_bytes, non_finite=opts.non_finite)
    pool = _Pool(ray, job.model, opts)
    try:
        while True:
            chunk = list(islice(items, opts.chunk_size))
            if not chunk:
                break
            results, docbin = pool.annotate(chunk)
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
            output = (docbin.to_bytes() if opts.output_format == "docbin"
                      else "".join(line + "\n" for line in shard).encode("utf8"))
            shards.add({suffix: output, REJECTS: b"".join(rejects)})
            position = chunk[-1].end
            save(complete=False)
    finally:
        pool.close()
    save(complete=True)
    if silver is not None:
        silver.finish([shard["name"] + suffix for shard in shards.state()])
    return tally.summary(job.start, skipped_shards=len(job.outputs("shards") or []), complete=1)


class _Pool:
    """The job's actors, started at the first chunk with a document and
    stopped at the end (killed: on a cluster of the user's, no idle actor is
    left holding a CPU and a loaded pipeline)."""

    def __init__(self, ray, model: Path, opts: AnnotateOptions) -> None:
        self.ray, self.model, self.opts = ray, model, opts
        self.actors: List[Any] = []

    def annotate(self, chunk: List) -> Tuple[Dict[int, tuple], Any]:
        """line -> (JSON line or "", error) for the records of a chunk, and
        (docbin output) the DocBin of its docs in line order."""
        from spacy.tokens import DocBin

        docbin = DocBin(store_user_data=True)
        good = [r for r in chunk if isinstance(r, Record)]
        if not good:
            return {}, docbin
        if not self.actors:
            remote = self.ray.remote(num_cpus=1)(_Annotator)
            self.actors = [remote.remote(str(self.model), self.opts.torch_threads, self.opts.field_prefix,
                                         self.opts.output_format, self.opts.silver)
                           for _ in range(self.opts.num_workers)]
        size = self.opts.batch_size
        batches = [_columns(good[i:i + size]) for i in range(0, len(good), size)]
        pool = self.ray.util.ActorPool(self.actors)
        results: Dict[int, tuple] = {}
        for out in pool.map(lambda actor, batch: actor.annotate.remote(batch), batches):
            for line, rendered, error in zip(out["line"], out["json"], out["error"]):
                results[int(line)] = (rendered, error)
            if out["docbin"] is not None:  # batches come back in submission order, each in line order
                docbin.merge(DocBin(store_user_data=True).from_bytes(out["docbin"]))
        return results, docbin

    def close(self) -> None:
        for actor in self.actors:
            self.ray.kill(actor)
        self.actors = []


def _columns(records: List[Record]) -> Dict[str, List]:
    """A batch as the columns `_Annotator` reads."""
    return {"line": [r.line for r in records], "text": [r.text for r in records],
            "fields": [json.dumps(r.fields, allow_nan=False) for r in records],
            "raw": [json.dumps(r.raw_fields) for r in records]}
