"""Everything `annotate` checks before it reads a document: that no output is
the input, that the output location is usable, and that an existing output
either belongs to a checkpoint of this very job (then it resumes) or is
replaced only on `--overwrite`. Shared by both engines."""
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Optional

from ..errors import Errors
from ..paths import SamePathError, check_distinct
from .checkpoint import Checkpoint, job_binding, start_position
from .io import OutputFields, Position, collision, read_lines
from .options import AnnotateError, AnnotateOptions
from .writers import ours


@dataclass
class Job:
    model: Path
    input_path: Path
    output_path: Path
    rejects_path: Path
    options: AnnotateOptions
    names: OutputFields
    checkpoint: Checkpoint
    binding: Dict[str, Any]
    state: Optional[Dict[str, Any]]  # the checkpoint to resume from, if any
    start: Position

    def outputs(self, key: str) -> Optional[Any]:
        return None if self.state is None else self.state["outputs"].get(key)

    @property
    def resumable(self) -> bool:
        """Whether output past the checkpoint may be an interrupted run's
        last batch (to redo), rather than a change made after a finished run."""
        return self.state is None or not self.state["complete"]

    def stats(self) -> Dict[str, int]:
        base = {"docs": 0, "rejected": 0, "nulled": 0, "filtered": 0}
        return {**base, **(self.state["stats"] if self.state else {})}


def open_job(model: Path, input_path: Path, output_path: Path, options: AnnotateOptions,
             *, rejects_path: Optional[Path] = None) -> Job:
    """Check the paths, the output and the checkpoint; `AnnotateError` if the
    job must not start."""
    model, input_path, output_path = Path(model), Path(input_path), Path(output_path)
    names = OutputFields(options.field_prefix, options.analyses().fields())
    directory_output = options.output_format == "docbin" or options.engine == "ray"
    rejects_path = rejects_path or output_path.parent / (output_path.name + ".rejects.jsonl")
    checkpoint = Checkpoint(output_path)
    if not input_path.is_file():
        raise AnnotateError(Errors.E315.format(path=input_path))
    try:
        check_distinct(
            {"input": input_path, "output": output_path, "rejects file": rejects_path,
             "checkpoint": checkpoint.path, "checkpoint's temporary file": checkpoint.tmp},
            directories={"output": output_path} if directory_output else {},
        )
    except SamePathError as err:
        raise AnnotateError(str(err)) from None
    _check_location(output_path, directory_output, options)
    binding = job_binding(model, input_path, options)
    state = None
    if options.overwrite:
        checkpoint.remove()
        for path in ours(output_path) if directory_output else []:
            path.unlink()
    elif checkpoint.exists():
        state = checkpoint.load(binding, input_path)
    else:
        existing = [p for p in (output_path, rejects_path) if _holds_data(p, directory_output and p == output_path)]
        if existing:
            raise AnnotateError(Errors.E312.format(path=existing[0], checkpoint=checkpoint.path))
    start = start_position(state)
    if options.input_format == "jsonl" and options.output_format == "jsonl":
        _refuse_collisions(input_path, start, names, options.max_line_bytes)
    return Job(model, input_path, output_path, rejects_path, options, names, checkpoint, binding, state, start)


def _check_location(output_path: Path, directory_output: bool, options: AnnotateOptions) -> None:
    what = "engine ray" if options.engine == "ray" else "output-format docbin"
    if directory_output and output_path.exists() and not output_path.is_dir():
        raise AnnotateError(Errors.E307.format(path=output_path, what=what))
    if not directory_output and output_path.is_dir():
        raise AnnotateError(Errors.E306.format(path=output_path))
    parent = output_path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        if directory_output:
            output_path.mkdir(exist_ok=True)
    except OSError as err:
        raise AnnotateError(Errors.E308.format(path=output_path, error=err)) from None
    target = output_path if directory_output else parent
    if not os.access(target, os.W_OK | os.X_OK):
        raise AnnotateError(Errors.E308.format(path=output_path, error=f"{target} is not writable"))


def _holds_data(path: Path, directory: bool) -> bool:
    if directory:
        return bool(ours(path))
    return path.is_file() and path.stat().st_size > 0


def _refuse_collisions(input_path: Path, start: Position, names: OutputFields, max_line_bytes: int) -> None:
    """Read the rest of the input once, before any work, for user fields that
    an output field would overwrite: refuse the job with the first one's line."""
    needles = [json.dumps(name).encode("utf8") for name in names.reserved()] + [b"\\"]
    for number, content, too_long, _ in read_lines(input_path, start=start, max_line_bytes=max_line_bytes):
        if too_long or not any(needle in content for needle in needles):
            continue
        try:
            obj = json.loads(content)
        except Exception:  # noqa: BLE001 -- a bad line is rejected when annotated
            continue
        if isinstance(obj, dict):
            name = collision(obj, names)
            if name is not None:
                raise AnnotateError(Errors.E313.format(line=number, path=input_path, field=name))
