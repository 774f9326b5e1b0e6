"""Path checks and safe writing shared by the commands that read one file and
write others (`annotate`, `convert`, `init-vectors`).

- An output is never the input, whatever links or spellings lead to it, or a
  run would destroy what it reads (`check_distinct`, `same_file`).
- An output is never written through a link: links are refused before any
  work (`check_not_link`), and files are opened with O_NOFOLLOW, new ones with
  O_EXCL (`create_exclusive`, `open_existing`), so a link planted later fails
  instead of redirecting the write.
- A file replaced whole is written to a fresh temporary file in its own
  directory (a random name, created exclusively, so no planted link or
  directory at a predictable name is ever used), synced, then renamed over
  the target (`write_atomic`): a crash leaves the old file or the new one.
- One job per output: `OutputLock` takes an exclusive `flock` on a lock file
  beside the output; the kernel drops it when the process dies, so a killed
  job never blocks the re-run.
"""
import errno
import fcntl
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Callable, Mapping, Optional, Set, Union

from .errors import Errors

PathLike = Union[str, Path]
TEMP_SUFFIX = ".tmp"


class PathError(ValueError):
    """A path a command must not use (or cannot), with the reason."""


class SamePathError(PathError):
    """Two roles of a command (input, output, ...) name the same file."""


def same_file(a: PathLike, b: PathLike) -> bool:
    """Whether `a` and `b` are one file: the same inode when both exist (hard
    and symbolic links included), else the same fully resolved path."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return _resolved(a) == _resolved(b)


def _resolved(path: PathLike) -> Path:
    """`path` resolved as far as it can be (a link loop or a name too long
    stays as spelled, absolute)."""
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError):
        return Path(os.path.abspath(path))


def is_inside(path: PathLike, directory: PathLike) -> bool:
    """Whether `path` lies under `directory` (links resolved)."""
    path, directory = _resolved(path), _resolved(directory)
    return path != directory and directory in path.parents


def check_distinct(paths: Mapping[str, Optional[PathLike]], *, directories: Mapping[str, PathLike] = {}) -> None:
    """Raise `SamePathError` if two of the named `paths` are one file, or one
    of them lies inside one of the named output `directories`."""
    named = [(role, Path(p)) for role, p in paths.items() if p is not None]
    for i, (role_a, a) in enumerate(named):
        for role_b, b in named[i + 1:]:
            if same_file(a, b):
                raise SamePathError(Errors.E300.format(a=role_a, b=role_b, path=a, other=b))
    for role_d, directory in directories.items():
        for role, p in named:
            if role != role_d and (is_inside(p, directory) or same_file(p, directory)):
                raise SamePathError(Errors.E301.format(role=role, path=p, dir_role=role_d, directory=directory))


def check_outside(paths: Mapping[str, Optional[PathLike]], directory: PathLike, what: str) -> None:
    """Raise `PathError` if one of the named output `paths` is `directory` or
    lies inside it (links resolved): e.g. a model directory, which a command
    only reads."""
    for role, p in paths.items():
        if p is not None and (same_file(p, directory) or is_inside(p, directory)):
            raise PathError(Errors.E420.format(role=role, path=p, what=what, directory=directory))


def check_not_link(path: PathLike, role: str, *, directory_ok: bool = False) -> None:
    """Raise `PathError` if `path` is a symbolic link (dangling or not), a
    directory (unless `directory_ok`), or cannot be looked at (a link loop, a
    name too long): a command writes its outputs itself, never through a link."""
    try:
        if Path(path).is_symlink():
            raise PathError(Errors.E421.format(role=role, path=path))
        if not directory_ok and os.path.isdir(path):
            raise PathError(Errors.E422.format(role=role, path=path, error="it is a directory"))
        os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):  # nothing there yet (a parent is checked by its user)
        return
    except OSError as err:
        raise PathError(Errors.E422.format(role=role, path=path, error=_os_reason(err))) from None


def _os_reason(err: OSError) -> str:
    return err.strerror or str(err)


def create_exclusive(path: PathLike, role: str):
    """A new file at `path` opened for binary writing: O_EXCL (it must not
    exist) and O_NOFOLLOW (never a link), mode 0666 less the umask."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
    except OSError as err:
        raise PathError(Errors.E423.format(role=role, path=path, error=_os_reason(err))) from None
    return os.fdopen(fd, "wb")


def open_existing(path: PathLike, role: str):
    """An existing regular file opened for reading and writing, never
    through a link (O_NOFOLLOW)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise PathError(Errors.E421.format(role=role, path=path)) from None
        raise PathError(Errors.E423.format(role=role, path=path, error=_os_reason(err))) from None
    return os.fdopen(fd, "r+b")


def current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def temp_prefix(target: PathLike) -> str:
    """The name prefix of `write_atomic`'s temporary files for `target`."""
    return f".{Path(target).name}."


def write_atomic(path: PathLike, data: bytes, role: str = "output") -> str:
    """Replace `path` with `data` atomically and durably; return the SHA-256
    of `data`. The temporary file is created exclusively in the target's own
    directory under a random name (`temp_prefix` ... `.tmp`), never through a
    link, with the permissions of a new file; it is synced, then renamed over
    `path` (a link at `path` is replaced, not followed)."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=temp_prefix(path), suffix=TEMP_SUFFIX)
    except OSError as err:
        raise PathError(Errors.E423.format(role=f"temporary file of the {role}", path=path,
                                           error=_os_reason(err))) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fchmod(f.fileno(), 0o666 & ~current_umask())
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as err:
        raise PathError(Errors.E423.format(role=role, path=path, error=_os_reason(err))) from None
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)
    return hashlib.sha256(data).hexdigest()


def remove_stale_temps(directory: PathLike, owned: Callable[[str], bool]) -> int:
    """Remove the temporary files `write_atomic` left in `directory` for the
    targets whose names `owned` accepts, when its process was killed (call it
    only while holding the targets' lock); return how many. Links and
    directories with such names are left alone."""
    removed = 0
    if not os.path.isdir(directory):
        return 0
    for entry in os.scandir(directory):
        name = entry.name
        if not (name.startswith(".") and name.endswith(TEMP_SUFFIX)) or not entry.is_file(follow_symlinks=False):
            continue
        target = name[1:-len(TEMP_SUFFIX)].rpartition(".")[0]  # mkstemp's random part has no dot
        if target and owned(target):
            os.unlink(entry.path)
            removed += 1
    return removed


# Lock descriptors held by this process. A forked child (e.g. an `nlp.pipe`
# worker) closes its copies at once: flock belongs to the open file, so a
# worker left running after its parent was killed would keep holding it.
_HELD_LOCKS: Set[int] = set()


def _drop_inherited_locks() -> None:
    for fd in list(_HELD_LOCKS):
        try:
            os.close(fd)  # not LOCK_UN: that would unlock the parent's lock too
        except OSError:
            pass
    _HELD_LOCKS.clear()


os.register_at_fork(after_in_child=_drop_inherited_locks)


def lock_path(output: PathLike) -> Path:
    """The lock file of an output: `<output>.lock` beside it."""
    output = Path(output)
    return output.parent / (output.name + ".lock")


class OutputLock:
    """An exclusive `flock` on `<output>.lock`, held while a job writes the
    output. A second job on it is refused at once (`PathError` naming the
    lock); the kernel releases it when the holder exits or is killed. The
    lock file stays (removing it would let two jobs lock different files)."""

    def __init__(self, output: PathLike) -> None:
        self.output = Path(output)
        self.path = lock_path(output)
        self._fd: Optional[int] = None

    def acquire(self) -> "OutputLock":
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
        except OSError as err:
            if err.errno == errno.ELOOP:
                raise PathError(Errors.E421.format(role="lock file", path=self.path)) from None
            raise PathError(Errors.E423.format(role="lock file", path=self.path, error=_os_reason(err))) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            os.close(fd)
            if err.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise PathError(Errors.E424.format(output=self.output, lock=self.path)) from None
            raise PathError(Errors.E423.format(role="lock file", path=self.path, error=_os_reason(err))) from None
        self._fd = fd
        _HELD_LOCKS.add(fd)
        return self

    def release(self) -> None:
        if self._fd is not None:
            _HELD_LOCKS.discard(self._fd)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "OutputLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
