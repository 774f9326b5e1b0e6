"""The resume checkpoint of `annotate`, `<output>.progress.json`.

A checkpoint is bound to the job it describes: the input (resolved path, its
size when the run started, and the SHA-256 of the prefix consumed so far), the
model (SHA-256 of its files) and the options that change the output. A re-run
of another job refuses to use it, naming what differs. An input that has
grown since (its consumed prefix unchanged) is resumed: the re-run annotates
what was appended.
"""
import hashlib
import json
from pathlib import Path
from typing import Any, Dict, List, Optional

from ..errors import Errors
from ..paths import PathError, remove_stale_temps, write_atomic
from .options import AnnotateError, AnnotateOptions
from .writers import hash_prefix

KIND = "spacy-bilstm-crf annotate checkpoint"
VERSION = 2
REQUIRED = ("job", "input", "outputs", "stats", "complete")


def fingerprint_model(path: Path) -> str:
    """SHA-256 over the names and contents of the files of a model directory."""
    path = Path(path)
    if not path.is_dir():
        raise AnnotateError(Errors.E314.format(path=path, error="not a directory"))
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(file.relative_to(path).as_posix().encode("utf8") + b"\0")
        with file.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()


def job_binding(model: Path, input_path: Path, size: int, options: AnnotateOptions) -> Dict[str, Any]:
    """What the checkpoint is bound to; `size`: the input's size when this
    run started (the run reads no further)."""
    return {
        "input": {"path": str(Path(input_path).resolve()), "size": size},
        "model": {"path": str(Path(model).resolve()), "sha256": fingerprint_model(model)},
        "options": options.output_binding(),
    }


def differences(saved: Dict[str, Any], current: Dict[str, Any]) -> List[str]:
    """What differs between the job a checkpoint was made for and this one
    (the input's size may differ: its consumed prefix is checked instead)."""
    found = []
    if saved["input"]["path"] != current["input"]["path"]:
        found.append(f"it was made for the input {saved['input']['path']}, not {current['input']['path']}")
    if saved["model"]["sha256"] != current["model"]["sha256"]:
        found.append(f"it was made with another model ({saved['model']['path']}) than {current['model']['path']}"
                     if saved["model"]["path"] != current["model"]["path"]
                     else f"the model {current['model']['path']} changed since")
    # An option the saved job does not name did not exist when it was written: that run had its default's effect.
    defaults = AnnotateOptions.output_defaults()
    for name in sorted(set(saved["options"]) | set(current["options"])):
        then, now = saved["options"].get(name, defaults.get(name)), current["options"].get(name)
        if then != now:
            found.append(f"--{name.replace('_', '-')} was {then!r}, now {now!r}")
    return found


class Checkpoint:
    def __init__(self, output: Path) -> None:
        self.path = output.parent / (output.name + ".progress.json")

    def refuse(self, problem: str) -> AnnotateError:
        """The error for an output that disagrees with this checkpoint."""
        return AnnotateError(Errors.E311.format(path=self.path, problem=problem))

    def exists(self) -> bool:
        return self.path.exists()

    def load(self, job: Dict[str, Any], input_path: Path) -> Dict[str, Any]:
        """The saved state, if it belongs to `job` and the input still starts
        with the bytes it consumed; else `AnnotateError`."""
        try:
            state = json.loads(self.path.read_text(encoding="utf8"))
            if not isinstance(state, dict) or state.get("kind") != KIND:
                raise ValueError("not written by spacy-bilstm-crf annotate, or by an older version")
            if state.get("version") != VERSION:
                raise ValueError(f"version {state.get('version')!r}, expected {VERSION}")
            missing = [key for key in REQUIRED if key not in state]
            if missing:
                raise ValueError(f"missing {', '.join(missing)}")
            consumed = state["input"]
            if not all(isinstance(consumed.get(k), t) for k, t in (("lines", int), ("bytes", int), ("sha256", str))):
                raise ValueError("the input position is malformed")
            found = differences(state["job"], job)
        except (ValueError, KeyError, TypeError, OSError) as err:
            raise AnnotateError(Errors.E309.format(path=self.path, reason=err)) from None
        if found:
            raise AnnotateError(Errors.E310.format(path=self.path, differences="; ".join(found)))
        digest = hash_prefix(input_path, consumed["bytes"])
        if digest is None or digest.hexdigest() != consumed["sha256"]:
            raise AnnotateError(Errors.E310.format(
                path=self.path, differences=f"the first {consumed['bytes']:,} bytes of the input changed"))
        state["input"]["digest"] = digest
        return state

    def save(self, job: Dict[str, Any], position: Dict[str, Any], outputs: Dict[str, Any],
             stats: Dict[str, int], complete: bool) -> None:
        """Replace the checkpoint atomically (written and synced first)."""
        state = {"kind": KIND, "version": VERSION, "job": job, "input": position, "outputs": outputs,
                 "stats": stats, "complete": complete}
        try:
            write_atomic(self.path, json.dumps(state, indent=1).encode("utf8"), "checkpoint")
        except PathError as err:
            raise AnnotateError(str(err)) from None

    def remove(self) -> None:
        """Remove the checkpoint and the temporary files a killed run left."""
        if self.path.exists() or self.path.is_symlink():
            self.path.unlink()
        remove_stale_temps(self.path.parent, lambda name: name == self.path.name)


def start_position(state: Optional[Dict[str, Any]]):
    """Where to read the input from: after the checkpointed prefix, or the start."""
    from .io import Position

    if state is None:
        return Position()
    consumed = state["input"]
    return Position(consumed["lines"], consumed["bytes"], consumed.pop("digest"))
