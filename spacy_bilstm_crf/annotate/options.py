"""The options of `annotate`, checked before any work starts.

Each option is a dataclass field whose metadata says how to check it (a
minimum, a list of choices, the engine or output format it needs) and whether
it changes the output (then it is bound into the resume checkpoint, so a
re-run with another value refuses instead of mixing two outputs). A new option
is one more field: the checks, the binding and the error messages follow.
"""
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

from ..errors import Errors
from .analyses import Analyses

ENGINES = ("local", "ray")
FORMATS_IN = ("text", "jsonl")
FORMATS_OUT = ("jsonl", "docbin")
NON_FINITE = ("reject", "null")


class AnnotateError(ValueError):
    """A job `annotate` refuses to start or to resume, with the reason."""


class OptionError(AnnotateError):
    """A bad option or combination of options (a usage error)."""


def option(
    default: Any,
    *,
    minimum: Optional[int] = None,
    choices: Optional[Tuple[str, ...]] = None,
    requires: Optional[Dict[str, Tuple[str, ...]]] = None,
    output: bool = False,
    resolved: Any = None,
) -> Any:
    """A field of `AnnotateOptions`. `requires` maps another option to the
    values it must have for this one to be given (None means not given);
    `resolved` is the default used when it is not given; `output` marks an
    option that changes what is written."""
    meta = {"minimum": minimum, "choices": choices, "requires": requires or {}, "output": output,
            "resolved": resolved}
    return field(default=default, metadata=meta)


LOCAL = {"engine": ("local",)}
RAY = {"engine": ("ray",)}


@dataclass(frozen=True)
class AnnotateOptions:
    engine: str = option("local", choices=ENGINES)
    input_format: Optional[str] = option(None, choices=FORMATS_IN, output=True)
    output_format: str = option("jsonl", choices=FORMATS_OUT, output=True)
    batch_size: int = option(256, minimum=1)
    n_process: Optional[int] = option(None, minimum=1, requires=LOCAL, resolved=1)
    checkpoint_every: Optional[int] = option(None, minimum=1, requires=LOCAL, resolved=2000)
    shard_size: Optional[int] = option(
        None, minimum=1, requires={**LOCAL, "output_format": ("docbin",)}, output=True, resolved=10000
    )
    num_workers: Optional[int] = option(None, minimum=1, requires=RAY, resolved=2)
    chunk_size: Optional[int] = option(None, minimum=1, requires=RAY, output=True, resolved=20000)
    torch_threads: Optional[int] = option(None, minimum=1, requires=RAY, resolved=1)
    max_line_bytes: int = option(16 * 1024 * 1024, minimum=1, output=True)
    field_prefix: str = option("", output=True)
    non_finite: str = option("reject", choices=NON_FINITE, output=True)
    overwrite: bool = option(False)
    # What to write beside the entities (issue 17); local engine only.
    n_best: int = option(1, output=True)  # bounds: Analyses.check
    uncertainty: bool = option(False, output=True)
    alternatives: bool = option(False, output=True)
    uncertain_below: Optional[float] = option(None, output=True)
    # The DocBin shards are a silver set with its manifest (issue 31); checked in `validated`.
    silver: bool = option(False, output=True)

    def validated(self) -> "AnnotateOptions":
        """Check every option; raise `AnnotateError` on the first bad one."""
        self._check_silver()
        for f in fields(self):
            value, meta = getattr(self, f.name), f.metadata
            if value is None:
                continue
            flag = f.name.replace("_", "-")
            if meta["choices"] and value not in meta["choices"]:
                raise OptionError(Errors.E303.format(option=flag, choices=", ".join(meta["choices"]), value=value))
            if meta["minimum"] is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < meta["minimum"]
            ):
                raise OptionError(Errors.E302.format(option=flag, minimum=meta["minimum"], value=value))
            for other, allowed in meta["requires"].items():
                if getattr(self, other) not in allowed:
                    raise OptionError(Errors.E304.format(
                        option=flag, other=other.replace("_", "-"), allowed=" or ".join(allowed),
                        actual=getattr(self, other),
                    ))
        try:
            self.analyses().check()
        except ValueError as err:
            raise OptionError(str(err)) from None
        if self.analyses().wanted and self.engine != "local":
            raise OptionError(Errors.E045.format(engine=self.engine))
        return self

    def _check_silver(self) -> None:
        """--silver: DocBin output (either engine), no analyses of its own (it
        switches the teacher's probabilities on itself)."""
        if not self.silver:
            return
        if self.output_format != "docbin":
            raise OptionError(Errors.E304.format(option="silver", other="output-format", allowed="docbin",
                                                 actual=self.output_format))
        given = [flag for flag, on in (("--n-best", self.n_best != 1), ("--uncertainty", self.uncertainty),
                                       ("--alternatives", self.alternatives),
                                       ("--uncertain-below", self.uncertain_below is not None)) if on]
        if given:
            raise OptionError(Errors.E248.format(options=", ".join(given)))

    def analyses(self) -> Analyses:
        """The n-best analyses, uncertainty and label alternatives asked for."""
        return Analyses(self.n_best, self.uncertainty, self.alternatives, self.uncertain_below)

    def resolve(self, input_path: Path) -> "AnnotateOptions":
        """Validated, with the defaults of options not given filled in and the
        input format detected from the suffix."""
        self.validated()
        values = {f.name: f.metadata["resolved"] for f in fields(self)
                  if getattr(self, f.name) is None and f.metadata["resolved"] is not None
                  and _applies(self, f.metadata["requires"])}
        if self.input_format is None:
            values["input_format"] = "jsonl" if Path(input_path).suffix in (".jsonl", ".ndjson") else "text"
        return replace(self, **values)

    def output_binding(self) -> Dict[str, Any]:
        """The options that change the output, for the checkpoint."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.metadata["output"]}

    @classmethod
    def output_defaults(cls) -> Dict[str, Any]:
        """The defaults of the options that change the output: a checkpoint
        written before an option existed does not name it, and its run had the
        default's effect."""
        return {f.name: f.default for f in fields(cls) if f.metadata["output"]}


def _applies(options: AnnotateOptions, requires: Dict[str, Tuple[str, ...]]) -> bool:
    return all(getattr(options, other) in allowed for other, allowed in requires.items())
