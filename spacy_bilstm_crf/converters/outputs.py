"""Where converted corpora go: checks of the output location made before any
work, and atomic writing with the usual file permissions."""
import errno
import os
import stat
import tempfile
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

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


def path_problem(err: OSError) -> str:
    """What the kernel said about an output path, in words."""
    reasons = {
        errno.ELOOP: "a symbolic link loop on the way to it",
        errno.ENAMETOOLONG: "a file name (or the path) too long for the file system (most allow 255 bytes per name)",
        errno.ENOTDIR: "a part of the path is a file, not a directory",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.EROFS: "a read-only file system",
        errno.ENOENT: "no such file or directory",
    }
    return reasons.get(err.errno, err.strerror or str(err))


def check_outputs(input_path: Path, targets: Sequence[Path], output_dir: bool) -> None:
    """Fail before any work when the outputs cannot be written or would
    overwrite the input. `output_dir`: the targets go into a directory (split).
    The kernel judges each path (os.stat): symbolic link loops, names too
    long and paths through a file are refused here, never a traceback."""
    try:
        source = os.stat(input_path)
    except OSError as err:
        raise ConversionError(input_path, None, f"cannot read the input: {path_problem(err)}") from None
    for target in targets:
        try:
            found = os.stat(target)
        except FileNotFoundError:
            found = None
        except OSError as err:
            if err.errno == errno.ENOTDIR:
                check_parents(target, output_dir)
            raise ConversionError(target, None, f"cannot write the output: {path_problem(err)}") from None
        if found is not None and stat.S_ISDIR(found.st_mode):
            raise ConversionError(target, None, "the output is a directory: give a file name such as "
                                                f"{target / 'train.spacy'}")
        if found is not None and (found.st_dev, found.st_ino) == (source.st_dev, source.st_ino):
            raise ConversionError(target, None, f"the output is the input file {input_path}: nothing written")
        check_parents(target, output_dir)


def check_parents(target: Path, output_dir: bool) -> None:
    """The nearest existing parent must be a directory we may write into."""
    for parent in target.parents:
        if parent.exists():
            if not parent.is_dir():
                where = "directory" if output_dir and parent == target.parent else "parent directory"
                raise ConversionError(target, None, f"cannot write the output: its {where} {parent} is a file")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise ConversionError(target, None, f"cannot write the output: {parent} is not writable")
            return


def write_docbins(outputs: Dict[Path, List[Doc]]) -> None:
    """Write every DocBin to a temp file beside its target, then rename them
    all: a failure leaves no partial output. A temp file is created
    exclusively (mkstemp: O_EXCL, no link followed) under a short name, its
    mode set through its descriptor, and it is renamed only while its path
    still holds it, so nothing is ever written through a planted link. Files
    get the permissions of a newly created file (0666 less the umask), not the
    temp file's 0600. OSErrors become ConversionErrors naming the target."""
    temps: Dict[Path, Tuple[Path, FileId]] = {}
    written: List[Path] = []
    mode = 0o666 & ~current_umask()
    target = next(iter(outputs), Path("."))
    try:
        for target, docs in outputs.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            temps[target] = write_temp(target, DocBin(attrs=DOCBIN_ATTRS, docs=docs).to_bytes(), mode)
        for target, (tmp, ours) in temps.items():
            if file_id(tmp) != ours:
                raise ConversionError(target, None, f"the temporary file {tmp} was replaced while it was "
                                                    "written: nothing written")
        for target, (tmp, _) in list(temps.items()):
            os.replace(tmp, target)
            del temps[target]
            written.append(target)
    except OSError as err:
        done = f" (already written: {', '.join(map(str, written))})" if written else ""
        raise ConversionError(target, None, f"cannot write the output: {path_problem(err)}{done}") from None
    finally:
        for tmp, ours in temps.values():
            unlink_if_ours(tmp, ours)


FileId = Tuple[int, int, int]


def file_id(path: Path) -> Optional[FileId]:
    """(device, inode, type) of `path` itself (a link is not followed), or None."""
    try:
        found = os.lstat(path)
    except FileNotFoundError:
        return None
    return found.st_dev, found.st_ino, stat.S_IFMT(found.st_mode)


def unlink_if_ours(tmp: Path, ours: FileId) -> None:
    if file_id(tmp) == ours:
        tmp.unlink()


def write_temp(target: Path, data: bytes, mode: int) -> Tuple[Path, FileId]:
    """`data` in a new temp file beside `target`: its path and identity."""
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=".convert-", suffix=".spacy.tmp")
    tmp = Path(name)
    found = os.fstat(fd)
    ours = (found.st_dev, found.st_ino, stat.S_IFMT(found.st_mode))
    try:
        with os.fdopen(fd, "wb") as file_:
            file_.write(data)
            file_.flush()
            os.fsync(file_.fileno())
            os.fchmod(file_.fileno(), mode)
    except BaseException:
        unlink_if_ours(tmp, ours)
        raise
    return tmp, ours


def current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def read_docbin(path: PathLike, vocab) -> List[Doc]:
    return list(DocBin().from_disk(path).get_docs(vocab))
