"""`annotate` on one machine: a streaming `nlp.pipe`, in input order, with
bounded memory whatever the input size, `n_process` workers, rejects and
checkpoints for resuming."""
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

from spacy.language import Language
from spacy.tokens import Doc
from tqdm import tqdm

from ..errors import Errors
from .analyses import Analyses, add_analyses, best_probability, load_pipeline
from .io import Reject, docbin_doc, read_records, reason, render_json
from .isolate import annotate_in_order
from .job import Job, open_job
from .options import AnnotateError, AnnotateOptions
from .silver_set import SilverOutput
from .writers import DocBinShardWriter, HashedFile

# Run through the pipeline once before any work: a model that loads but
# fails on every text is refused instead of rejecting every line.
PROBE_TEXT = "Probe: Ada Lovelace visited London in 1842."


def spans_key(nlp) -> Optional[str]:
    for _, pipe in nlp.pipeline:
        key = getattr(pipe, "spans_key", None)
        if key is not None:
            return key
    return None


def load_model(model: Path, analyses: Analyses = Analyses()) -> Tuple[Language, Optional[Any]]:
    """The pipeline, and its `bilstm_crf_ner` set up for `analyses` (None
    when no analyses are asked for), after it annotated a probe text."""
    try:
        nlp, component = load_pipeline(model, analyses)
    except Exception as err:  # noqa: BLE001 -- any failure to load is reported the same way
        raise AnnotateError(Errors.E314.format(path=model, error=err)) from None
    try:
        nlp(PROBE_TEXT)
    except Exception as err:  # noqa: BLE001 -- whatever fails, the model is unusable
        raise AnnotateError(Errors.E317.format(path=model, error=reason(err))) from None
    return nlp, component


def annotate_local(
    model: Path,
    input_path: Path,
    output_path: Path,
    *,
    progress: bool = True,
    max_docs: Optional[int] = None,
    **options: Any,
) -> Dict[str, int]:
    """Annotate `input_path` into `output_path` (a JSONL file, or a directory of
    DocBin shards); rejected lines go to `<output>.rejects.jsonl`. Re-running
    resumes from the last checkpoint. `options` are `AnnotateOptions` fields.
    `max_docs` stops after that many docs (as an interruption would), for
    tests and partial runs. Raises `AnnotateError` if the job must not start.
    """
    opts = AnnotateOptions(engine="local", **options).resolve(input_path)
    with open_job(model, input_path, output_path, opts) as job:
        if opts.silver:
            SilverOutput.check_folder(job)
        nlp, component = load_model(job.model, opts.analyses())
        silver = SilverOutput(nlp, job) if opts.silver else None
        job.begin()
        if silver is None:
            return _run(job, nlp, component, progress=progress, max_docs=max_docs)
        silver.start()
        with silver.scores():
            return _run(job, nlp, component, progress=progress, max_docs=max_docs, silver=silver)


def _run(job: Job, nlp: Language, component: Optional[Any], *, progress: bool,
         max_docs: Optional[int], silver: Optional[SilverOutput] = None) -> Dict[str, int]:
    opts = job.options
    analyses = opts.analyses()
    extend = None
    if component is not None:
        def extend(out: Dict[str, Any], doc: Doc) -> Dict[str, Any]:
            return add_analyses(out, doc, component, analyses, job.names)

    def certain(doc: Doc) -> bool:
        """Left out by --uncertain-below: the best analysis is probable enough."""
        if analyses.uncertain_below is None or component is None:
            return False
        probability = best_probability(doc, component)
        return probability is not None and probability >= analyses.uncertain_below

    refuse = job.checkpoint.refuse
    key = spans_key(nlp)
    rejects = HashedFile(job.rejects_path, job.outputs("rejects"), "rejects file", refuse, job.resumable)
    if opts.output_format == "jsonl":
        writer: Any = HashedFile(job.output_path, job.outputs("output"), "output", refuse, job.resumable)
    else:
        writer = DocBinShardWriter(job.output_path, opts.shard_size, job.outputs("output"), refuse, job.resumable)
    tally = job.tally()
    position = job.start

    def save(complete: bool) -> None:
        outputs = {"rejects": rejects.state(), "output": writer.state()}
        job.checkpoint.save(job.binding, position.state(), outputs, tally.totals, complete)
        if isinstance(writer, DocBinShardWriter):
            writer.after_checkpoint()

    # Before the first line: the checkpoint can be written (as it was).
    save(complete=not job.resumable)
    items = read_records(job.input_path, opts.input_format, start=job.start, size=job.size,
                         max_line_bytes=opts.max_line_bytes, non_finite=opts.non_finite)
    outcomes = annotate_in_order(nlp, items, n_process=opts.n_process, batch_size=opts.batch_size)
    bar = tqdm(outcomes, unit="line", disable=not progress, desc="annotate")
    since, interrupted = 0, False
    for item, doc in bar:
        if doc is not None and certain(doc):
            tally.count("filtered")
        elif doc is not None:
            try:
                if isinstance(writer, HashedFile):
                    writer.write(render_json(doc, item, key, job.names, extend))
                else:
                    writer.write(docbin_doc(silver.doc(doc) if silver is not None else doc, item))
            except ValueError as err:
                item = Reject(item.line, str(err), item.raw, item.end)
            else:
                tally.count("docs")
                tally.count("nulled", item.nulled)
        if isinstance(item, Reject):
            rejects.write(item.to_bytes())
            tally.count("rejected")
        position = item.end
        since += 1
        if max_docs is not None and tally.session["docs"] >= max_docs:
            interrupted = True
            break
        if since >= opts.checkpoint_every:
            save(complete=False)
            since = 0
    bar.close()
    outcomes.close()
    if interrupted:
        save(complete=False)
    else:
        if isinstance(writer, DocBinShardWriter):
            writer.finish()
        save(complete=True)
        if silver is not None:
            silver.finish([shard["name"] + writer.SUFFIX for shard in writer.shards.state()])
    writer_close = getattr(writer, "close", None)
    if writer_close:
        writer_close()
    rejects.close()
    return tally.summary(job.start, complete=int(not interrupted))
