"""Where converted corpora go: checks of the output location made before any
work, and atomic writing with the usual file permissions."""
import os
import tempfile
from pathlib import Path
from typing import Dict, List, Sequence

from spacy.tokens import Doc, DocBin

from ..errors import Errors
from .report import ConversionError, PathLike

# TAG keeps the POS column, SENT_START the source's sentence boundaries.
# DocBin also stores each Doc's span groups (PubTator: doc.spans["mentions"]).
DOCBIN_ATTRS = ["ORTH", "TAG", "ENT_IOB", "ENT_TYPE", "SENT_START"]


def check_split_name(name: str) -> None:
    """A split part's name becomes OUTPUT/<name>.spacy: a plain file name only."""
    if not name or name in (".", "..") or Path(name).name != name or "/" in name or "\\" in name:
        raise ValueError(Errors.E404.format(name=name))


def check_outputs(input_path: Path, targets: Sequence[Path], output_dir: bool) -> None:
    """Fail before any work when the outputs cannot be written or would
    overwrite the input. `output_dir`: the targets go into a directory (split)."""
    source = input_path.resolve()
    for target in targets:
        if target.is_dir():
            raise ConversionError(target, None, "the output is a directory: give a file name such as "
                                                f"{target / 'train.spacy'}")
        for parent in target.parents:
            if parent.exists():
                if not parent.is_dir():
                    where = "directory" if output_dir and parent == target.parent else "parent directory"
                    raise ConversionError(target, None, f"cannot write the output: its {where} {parent} is a file")
                break
        if target.resolve() == source or (target.exists() and os.path.samefile(target, source)):
            raise ConversionError(target, None, f"the output is the input file {input_path}: nothing written")


def write_docbins(outputs: Dict[Path, List[Doc]]) -> None:
    """Write every DocBin to a temp file beside its target, then rename them
    all: a failure leaves no partial output. Files get the permissions of a
    newly created file (0666 less the umask), not the temp file's 0600."""
    temps: Dict[Path, Path] = {}
    mode = 0o666 & ~current_umask()
    try:
        for target, docs in outputs.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(
                dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
            )
            temps[target] = Path(tmp)
            with os.fdopen(fd, "wb") as file_:
                file_.write(DocBin(attrs=DOCBIN_ATTRS, docs=docs).to_bytes())
            os.chmod(tmp, mode)
        for target, tmp in temps.items():
            os.replace(tmp, target)
    finally:
        for tmp in temps.values():
            if tmp.exists():
                tmp.unlink()


def current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def read_docbin(path: PathLike, vocab) -> List[Doc]:
    return list(DocBin().from_disk(path).get_docs(vocab))
