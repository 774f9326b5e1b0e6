"""A command's output directory, written so that nothing is lost: a new or
empty directory is filled, a non-empty one is replaced only when asked
(`overwrite`) and only if it is a spaCy pipeline, and the new content is
written to a temporary directory beside it and swapped in at the end, so a
failure at any point leaves the old directory as it was.

Every refusal is an `OutputDirError` naming the path and what was expected,
raised before any work: a file, a path under a file, a symbolic link (or a
loop of them), a name longer than the file system allows."""
import errno
import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Callable, List, Mapping

from .errors import Errors
from .paths import is_inside, same_file

# What a spaCy pipeline directory holds: --overwrite replaces only such a one.
PIPELINE_FILES = ("config.cfg", "meta.json")


class OutputDirError(ValueError):
    """An output directory that cannot be written as asked (nothing was changed)."""


def check_output_dir(path: Path, *, overwrite: bool, inputs: Mapping[str, Path] = {}) -> None:
    """Raise `OutputDirError` unless `path` can take the output: a new path
    (missing parents are made, but none may be a file), an empty directory,
    or with `overwrite` a spaCy pipeline directory that holds none of the
    `inputs` (role -> path)."""
    path = Path(path)
    _check_name_lengths(path)
    try:
        info = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        _check_parents(path)
        return
    except OSError as err:
        raise _os_error(path, err) from None
    if stat.S_ISLNK(info.st_mode):
        raise OutputDirError(Errors.E466.format(path=path, detail=f"it links to {os.readlink(path)!r}"))
    if not stat.S_ISDIR(info.st_mode):
        raise OutputDirError(Errors.E463.format(path=path, kind=_kind(info.st_mode)))
    _check_parents(path)
    entries = sorted(os.listdir(path))
    if not entries:
        return
    if not overwrite:
        raise OutputDirError(Errors.E465.format(path=path, n=len(entries), example=entries[0]))
    missing = [name for name in PIPELINE_FILES if not (path / name).is_file()]
    if missing:
        reason = f"it is not a spaCy pipeline directory (no {' or '.join(missing)}), and only one is replaced"
        raise OutputDirError(Errors.E468.format(path=path, reason=reason))
    for role, other in inputs.items():
        if is_inside(other, path) or same_file(other, path):
            reason = f"the {role} {other} lies inside it and would be deleted"
            raise OutputDirError(Errors.E468.format(path=path, reason=reason))


def write_output_dir(path: Path, write: Callable[[Path], None]) -> None:
    """Call `write(tmp)` on a new temporary directory beside `path`, then put
    it at `path` (moving an old directory aside, and deleting it only once the
    new one is in place). On any failure the temporary directory and the
    parents this call made are removed and `path` is as it was. Call
    `check_output_dir` first: this does not ask whether replacing is allowed."""
    path = Path(path).absolute()
    made = _make_parents(path.parent)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=".partial-", dir=path.parent))
    except OSError as err:
        _remove_dirs(made)
        raise _os_error(path, err) from None
    try:
        write(tmp)
        if os.path.lexists(path):
            old = Path(tempfile.mkdtemp(prefix=".replaced-", dir=path.parent))
            os.replace(path, old)  # onto the empty directory just made
            try:
                os.rename(tmp, path)
            except BaseException:
                os.replace(old, path)
                raise
            shutil.rmtree(old)
        else:
            # Fails (and changes nothing) if a non-empty directory appeared meanwhile.
            os.rename(tmp, path)
    except BaseException as err:
        shutil.rmtree(tmp, ignore_errors=True)
        _remove_dirs(made)
        if isinstance(err, OSError):
            raise _os_error(path, err) from None
        raise


def _check_name_lengths(path: Path) -> None:
    limit = _name_max(path)
    for part in path.parts:
        size = len(os.fsencode(part))
        if size > limit:
            raise OutputDirError(Errors.E467.format(path=path, n=size, name=part[:40], limit=limit))


def _name_max(path: Path) -> int:
    """The longest file name (bytes) the file system of `path`'s nearest existing ancestor allows."""
    for ancestor in [path, *path.absolute().parents]:
        try:
            return os.pathconf(ancestor, "PC_NAME_MAX")
        except (OSError, ValueError):
            continue
    return 255


def _check_parents(path: Path) -> None:
    """The nearest existing ancestor must be a (writable) directory, not a file."""
    for parent in Path(path).absolute().parents:
        try:
            info = os.stat(parent)
        except (FileNotFoundError, NotADirectoryError):  # missing, or under a file: look further up
            continue
        except OSError as err:
            raise _os_error(path, err) from None
        if not stat.S_ISDIR(info.st_mode):
            raise OutputDirError(Errors.E464.format(path=path, parent=parent, kind=_kind(info.st_mode)))
        if not os.access(parent, os.W_OK | os.X_OK):
            raise OutputDirError(Errors.E469.format(path=path, error=f"{parent} is not writable"))
        return


def _make_parents(directory: Path) -> List[Path]:
    """mkdir -p, returning the directories it made (outermost first)."""
    missing = [d for d in [directory, *directory.parents] if not os.path.lexists(d)]
    made = []
    try:
        for d in reversed(missing):
            d.mkdir()
            made.append(d)
    except OSError as err:
        _remove_dirs(made)
        raise _os_error(directory, err) from None
    return made


def _remove_dirs(made: List[Path]) -> None:
    for d in reversed(made):
        try:
            d.rmdir()
        except OSError:
            pass


def _os_error(path: Path, err: OSError) -> OutputDirError:
    """An OSError met on `path` as a coded error naming it."""
    if err.errno == errno.ELOOP:
        return OutputDirError(Errors.E466.format(path=path, detail="a loop of symbolic links"))
    if err.errno == errno.ENAMETOOLONG:
        return OutputDirError(Errors.E469.format(path=path, error="the path is too long for the file system"))
    if err.errno == errno.ENOTDIR:
        return OutputDirError(Errors.E464.format(path=path, parent="a part of it", kind="not a directory"))
    return OutputDirError(Errors.E469.format(path=path, error=err.strerror or err))


def _kind(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "not a file or directory"
