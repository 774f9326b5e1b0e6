"""A command's output directory, written so that nothing is lost: a new or
empty directory is filled, a non-empty one is replaced only when asked
(`overwrite`) and only if it is a spaCy pipeline, and the new content is
written to a temporary directory beside it and swapped in at the end, so a
failure at any point leaves the old directory as it was. The directory
counterpart of `paths.write_atomic_many`, over the same path primitives.

Every refusal is an `OutputDirError` naming the path and what was expected,
raised before any work: a file, a path under a file, a symbolic link (or a
loop of them), a name longer than the file system allows."""
import errno
import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Callable, Mapping

from .errors import Errors
from .paths import file_kind, is_inside, long_name, make_parents, nearest_ancestor, os_reason, probe, remove_dirs, same_file

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
    too_long = long_name(path)
    if too_long is not None:
        name, size, limit = too_long
        raise OutputDirError(Errors.E467.format(path=path, n=size, name=name[:40], limit=limit))
    try:
        info = probe(path)
    except OSError as err:
        raise _os_error(path, err) from None
    if info is None:
        _check_parents(path)
        return
    if stat.S_ISLNK(info.st_mode):
        raise OutputDirError(Errors.E466.format(path=path, detail=f"it links to {os.readlink(path)!r}"))
    if not stat.S_ISDIR(info.st_mode):
        raise OutputDirError(Errors.E463.format(path=path, kind=file_kind(info.st_mode)))
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


def write_output_dir(path: Path, write: Callable[[Path], None], *, replace: bool = False) -> None:
    """Call `write(tmp)` on a new temporary directory beside `path`, then put
    it at `path`. `replace` (the caller's --overwrite, allowed by
    `check_output_dir`): an old directory there is moved aside and deleted
    only once the new one is in place. Without it the new directory only
    takes a missing or empty `path`: one that another job filled since the
    check is refused (E469), never replaced. On any failure the temporary
    directory and the parents this call made are removed and `path` is as it
    was. Call `check_output_dir` first."""
    path = Path(path).absolute()
    try:
        made = make_parents(path.parent)
    except OSError as err:
        raise _os_error(path.parent, err) from None
    try:
        tmp = Path(tempfile.mkdtemp(prefix=".partial-", dir=path.parent))
    except OSError as err:
        remove_dirs(made)
        raise _os_error(path, err) from None
    try:
        write(tmp)
        if replace and os.path.lexists(path):
            old = Path(tempfile.mkdtemp(prefix=".replaced-", dir=path.parent))
            os.replace(path, old)  # onto the empty directory just made
            try:
                os.rename(tmp, path)
            except BaseException:
                os.replace(old, path)
                raise
            shutil.rmtree(old)
        else:
            # Takes a missing or empty directory; fails (and changes nothing) where a non-empty
            # directory or a file appeared meanwhile.
            os.rename(tmp, path)
    except BaseException as err:
        shutil.rmtree(tmp, ignore_errors=True)
        remove_dirs(made)
        if isinstance(err, OSError) and err.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR) and not replace:
            raise OutputDirError(Errors.E469.format(
                path=path, error="something was written there after it was checked (another job?); it is kept, "
                                 "not replaced")) from None
        if isinstance(err, OSError):
            raise _os_error(path, err) from None
        raise


def _check_parents(path: Path) -> None:
    """The nearest existing ancestor must be a (writable) directory, not a file."""
    try:
        parent = nearest_ancestor(path)
    except OSError as err:
        raise _os_error(path, err) from None
    if parent is None:
        return
    if parent.kind is not None:
        raise OutputDirError(Errors.E464.format(path=path, parent=parent.path, kind=parent.kind))
    if not parent.writable:
        raise OutputDirError(Errors.E469.format(path=path, error=f"{parent.path} is not writable"))


def _os_error(path: Path, err: OSError) -> OutputDirError:
    """An OSError met on `path` as a coded error naming it."""
    if err.errno == errno.ELOOP:
        return OutputDirError(Errors.E466.format(path=path, detail="a loop of symbolic links"))
    if err.errno == errno.ENOTDIR:
        return OutputDirError(Errors.E464.format(path=path, parent="a part of it", kind="not a directory"))
    return OutputDirError(Errors.E469.format(path=path, error=os_reason(err)))
