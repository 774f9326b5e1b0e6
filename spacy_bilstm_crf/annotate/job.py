"""Everything `annotate` checks before it reads a document, shared by both
engines: that no output is the input or lies in the model directory, that no
output is a link, that the output location is usable, that no other job
writes the output (its lock), and that an existing output either belongs to
a checkpoint of this very job (then it resumes) or is replaced only on
`--overwrite`. Nothing is removed until the model has loaded and passed its
probe (`Job.begin`)."""
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Optional

from ..errors import Errors
from ..paths import OutputLock, PathError, check_distinct, check_not_link, check_outside, lock_path, remove_stale_temps
from .checkpoint import Checkpoint, job_binding, start_position
from .io import OutputFields, Position, collision, read_lines
from .options import AnnotateError, AnnotateOptions
from .writers import OURS, ours

COUNTS = ("docs", "rejected", "nulled", "filtered")


@dataclass
class Tally:
    """The counts of a job: over all its runs (from the checkpoint) and in
    this run."""

    totals: Dict[str, int]
    session: Dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))

    def count(self, name: str, n: int = 1) -> None:
        self.totals[name] += n
        self.session[name] += n

    def summary(self, start: Position, **extra: int) -> Dict[str, int]:
        """The stats a run returns: this run's counts and the totals."""
        totals = {f"total_{name}": self.totals[name] for name in COUNTS}
        return {**self.session, **totals, "resumed_from_line": start.lines, **extra}


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
    size: int  # bytes of the input read by this run: its size when the run started
    lock: OutputLock
    directory_output: bool

    def outputs(self, key: str) -> Optional[Any]:
        return None if self.state is None else self.state["outputs"].get(key)

    @property
    def resumable(self) -> bool:
        """Whether output past the checkpoint may be an interrupted run's
        last batch (to redo), rather than a change made after a finished run."""
        return self.state is None or not self.state["complete"]

    def tally(self) -> Tally:
        base = dict.fromkeys(COUNTS, 0)
        return Tally({**base, **(self.state["stats"] if self.state else {})})

    def begin(self) -> None:
        """Once every check passed (the model loaded and ran): remove what a
        fresh start replaces (with --overwrite, the earlier job's checkpoint
        and outputs; else only empty outputs), and the temporary files a
        killed run left."""
        output, rejects = self.output_path, self.rejects_path
        if self.state is None:
            self.checkpoint.remove()
            for path in ours(output) if self.directory_output else [output]:
                if path.is_file():
                    path.unlink()
            if rejects.is_file():
                rejects.unlink()
        mine = {output.name, rejects.name, self.checkpoint.path.name}
        remove_stale_temps(output.parent, mine.__contains__)
        if self.directory_output:
            remove_stale_temps(output, lambda name: bool(OURS.match(name)))

    def close(self) -> None:
        self.lock.release()

    def __enter__(self) -> "Job":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def open_job(model: Path, input_path: Path, output_path: Path, options: AnnotateOptions,
             *, rejects_path: Optional[Path] = None) -> Job:
    """Check the paths, lock the output, check the output and the checkpoint;
    `AnnotateError` if the job must not start. Removes nothing; the caller
    releases the lock (`with open_job(...) as job`)."""
    model, input_path, output_path = Path(model), Path(input_path), Path(output_path)
    names = OutputFields(options.field_prefix, options.analyses().fields())
    directory_output = options.output_format == "docbin" or options.engine == "ray"
    rejects_path = rejects_path or output_path.parent / (output_path.name + ".rejects.jsonl")
    checkpoint = Checkpoint(output_path)
    if not input_path.is_file():
        raise AnnotateError(Errors.E315.format(path=input_path))
    written = {"output": output_path, "rejects file": rejects_path, "checkpoint": checkpoint.path,
               "lock file": lock_path(output_path)}
    try:
        check_distinct({"input": input_path, **written},
                       directories={"output": output_path} if directory_output else {})
        check_outside(written, model, "model directory")
        for role, path in written.items():
            check_not_link(path, role, directory_ok=role == "output")  # output: see _check_location
    except PathError as err:
        raise AnnotateError(str(err)) from None
    _check_location(output_path, directory_output, options)
    try:
        lock = OutputLock(output_path).acquire()
    except PathError as err:
        raise AnnotateError(str(err)) from None
    try:
        size = os.stat(input_path).st_size
        binding = job_binding(model, input_path, size, options)
        state = None
        if not options.overwrite and checkpoint.exists():
            state = checkpoint.load(binding, input_path)
        elif not options.overwrite:
            existing = [p for p in (output_path, rejects_path)
                        if _holds_data(p, directory_output and p == output_path)]
            if existing:
                raise AnnotateError(Errors.E312.format(path=existing[0], checkpoint=checkpoint.path))
        start = start_position(state)
        if options.input_format == "jsonl" and options.output_format == "jsonl":
            _refuse_collisions(input_path, start, size, names, options.max_line_bytes)
    except BaseException:
        lock.release()
        raise
    return Job(model, input_path, output_path, rejects_path, options, names, checkpoint, binding, state, start,
               size, lock, directory_output)


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


def _refuse_collisions(input_path: Path, start: Position, size: int, names: OutputFields,
                       max_line_bytes: int) -> None:
    """Read the rest of the input once, before any work, for user fields that
    an output field would overwrite: refuse the job with the first one's line."""
    needles = [json.dumps(name).encode("utf8") for name in names.reserved()] + [b"\\"]
    for number, content, too_long, _ in read_lines(input_path, start=start, max_line_bytes=max_line_bytes,
                                                         size=size):
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
