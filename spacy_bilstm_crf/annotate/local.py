"""`annotate` on one machine: a streaming `nlp.pipe`, in input order, with
constant memory whatever the input size, `n_process` workers, rejects and
checkpoints for resuming."""
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

from tqdm import tqdm

from .analyses import Analyses, add_analyses, best_probability, load_pipeline
from .io import (
    FORMATS_OUT, Checkpoint, DocBinShardWriter, JsonlWriter, Record, Reject, detect_format,
    doc_to_json, read_records,
)


def _spans_key(nlp) -> Optional[str]:
    for _, pipe in nlp.pipeline:
        key = getattr(pipe, "spans_key", None)
        if key is not None:
            return key
    return None


def annotate_local(
    model: Path,
    input_path: Path,
    output_path: Path,
    *,
    input_format: Optional[str] = None,
    output_format: str = "jsonl",
    n_process: int = 1,
    batch_size: int = 256,
    shard_size: int = 10000,
    checkpoint_every: int = 2000,
    max_docs: Optional[int] = None,
    progress: bool = True,
    analyses: Optional[Analyses] = None,
) -> Dict[str, int]:
    """Annotate `input_path` into `output_path` (a JSONL file, or a directory of
    DocBin shards); rejected lines go to `<output>.rejects.jsonl`. Re-running
    resumes from the last checkpoint. `max_docs` stops early (as an
    interruption would), for tests and partial runs. `analyses`: n-best
    analyses, uncertainty and label alternatives to write (JSONL), and the
    uncertainty filter (docs above it are counted in stats["filtered"]).
    """
    if output_format not in FORMATS_OUT:
        raise ValueError(f"Unknown output format '{output_format}': expected one of {FORMATS_OUT}")
    input_format = input_format or detect_format(input_path)
    analyses = analyses or Analyses()
    nlp, component = load_pipeline(model, analyses)
    spans_key = _spans_key(nlp)
    checkpoint = Checkpoint(output_path)
    state = checkpoint.load()
    rejects = JsonlWriter(output_path.parent / (output_path.name + ".rejects.jsonl"), state["rejects_bytes"])
    if output_format == "jsonl":
        writer = JsonlWriter(output_path, state["output_bytes"])
    else:
        writer = DocBinShardWriter(output_path, shard_size, state["shards"], state.get("docs_in_shard", 0), nlp.vocab)
    pending: List[Reject] = []
    stats = {"docs": 0, "rejected": 0, "filtered": 0, "resumed_from_line": state["lines_done"]}

    def good_records() -> Iterator[Tuple[str, Record]]:
        for item in read_records(input_path, input_format, skip=state["lines_done"]):
            if isinstance(item, Reject):
                pending.append(item)
            else:
                yield item.text, item

    def flush_rejects(before_line: Optional[int]) -> None:
        keep = []
        for reject in pending:
            if before_line is None or reject.line < before_line:
                rejects.write([{"line": reject.line, "error": reject.error, "raw": reject.raw}])
                stats["rejected"] += 1
            else:
                keep.append(reject)
        pending[:] = keep

    def save(lines_done: int) -> None:
        state["lines_done"] = lines_done
        state["rejects_bytes"] = rejects.flush()
        if isinstance(writer, JsonlWriter):
            state["output_bytes"] = writer.flush()
        else:
            state["shards"] = writer.flush()
            state["docs_in_shard"] = writer.docs_in_shard
        checkpoint.save(state)

    docs = nlp.pipe(good_records(), as_tuples=True, n_process=n_process, batch_size=batch_size)
    bar = tqdm(docs, unit="doc", disable=not progress, desc="annotate")
    buffer: List = []
    last_line = state["lines_done"]
    interrupted = False
    for doc, record in bar:
        flush_rejects(before_line=record.line)
        limit = analyses.uncertain_below
        if limit is not None and best_probability(doc, component) >= limit:
            stats["filtered"] += 1
        elif isinstance(writer, JsonlWriter):
            out = doc_to_json(doc, record, spans_key)
            buffer.append(add_analyses(out, doc, component, analyses) if component is not None else out)
        else:
            doc.user_data["line"] = record.line
            doc.user_data["fields"] = record.fields
            buffer.append(doc)
        last_line = record.line
        stats["docs"] += 1
        if len(buffer) >= checkpoint_every or (max_docs is not None and stats["docs"] >= max_docs):
            writer.write(buffer)
            buffer = []
            save(last_line)
            if max_docs is not None and stats["docs"] >= max_docs:
                interrupted = True
                break
    if not interrupted:
        if buffer:
            writer.write(buffer)
        flush_rejects(before_line=None)
        save(_count_lines(input_path))
    bar.close()
    writer.close()
    rejects.close()
    stats["complete"] = int(not interrupted)
    return stats


def _count_lines(path: Path) -> int:
    with Path(path).open("rb") as f:
        return sum(1 for _ in f)
