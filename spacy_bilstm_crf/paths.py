"""Path checks and safe writing shared by the commands that read one file and
write others (`annotate`, `convert`, `init-vectors`): each check and each way
of writing exists here once, and the commands word their own refusals.

- An output is never the input, whatever links or spellings lead to it, or a
  run would destroy what it reads (`check_distinct`, `same_file`).
- An output is never written through a link: links are refused before any
  work (`check_not_link`), and files are opened with O_NOFOLLOW, new ones with
  O_EXCL (`create_exclusive`, `open_existing`), so a link planted later fails
  instead of redirecting the write.
- What the kernel refuses (a link loop, a name too long, a path through a
  file) is found before any work (`probe`, `nearest_ancestor`, `long_name`)
  and said in words (`os_reason`), never as a traceback.
- Files replaced whole are written to fresh temporary files in their own
  directories (random names, created exclusively, so no planted link or
  directory at a predictable name is ever used), synced, checked to be still
  ours, then renamed over the targets, all or none (`write_atomic_many`,
  `write_atomic`): a crash leaves the old files or the new ones.
- One job per output: `OutputLock` takes an exclusive `flock` on a lock file
  beside the output; the kernel drops it when the process dies, so a killed
  job never blocks the re-run.
"""
import errno
import fcntl
import hashlib
import os
import stat
import tempfile
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Set, Tuple, Union

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
        info = probe(path)
    except OSError as err:
        raise PathError(Errors.E422.format(role=role, path=path, error=os_reason(err))) from None
    if info is None:  # nothing there yet (a parent is checked by its user)
        return
    if stat.S_ISLNK(info.st_mode):
        raise PathError(Errors.E421.format(role=role, path=path))
    if not directory_ok and stat.S_ISDIR(info.st_mode):
        raise PathError(Errors.E422.format(role=role, path=path, error="it is a directory"))


# What the kernel's refusals of a path mean, in words for a user.
_REASONS = {
    errno.ELOOP: "a symbolic link loop on the way to it",
    errno.ENAMETOOLONG: "a file name (or the path) too long for the file system (most allow 255 bytes per name)",
    errno.ENOTDIR: "a part of the path is a file, not a directory",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "a read-only file system",
    errno.ENOENT: "no such file or directory",
}


def os_reason(err: OSError) -> str:
    """What the kernel said about a path, in words."""
    return _REASONS.get(err.errno, err.strerror or str(err))


def probe(path: PathLike, *, follow: bool = False) -> Optional[os.stat_result]:
    """`lstat` (`stat` with `follow`) of `path`, or None when nothing is
    there (or a parent is missing or a file: its user checks the parents,
    `nearest_ancestor`). Other refusals (a link loop, a name too long, no
    permission) raise the `OSError`: say it with `os_reason`."""
    try:
        return os.stat(path) if follow else os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None


def file_kind(mode: int) -> str:
    """What a non-directory is, for a message: "a file", "a symbolic link", ..."""
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "not a file or directory"


class Ancestor(NamedTuple):
    """The nearest existing ancestor of an output path, as `stat` sees it."""

    path: Path
    kind: Optional[str]  # None for a directory, else `file_kind`
    writable: bool


def nearest_ancestor(path: PathLike) -> Optional[Ancestor]:
    """The nearest ancestor of `path` that exists (links followed): where a
    new output would be created. An ancestor that cannot be looked at (a link
    loop, no permission) raises the `OSError`."""
    for parent in Path(path).parents:  # as spelled: a relative path ends at "."
        info = probe(parent, follow=True)
        if info is None:  # missing, or under a file: look further up
            continue
        if not stat.S_ISDIR(info.st_mode):
            return Ancestor(parent, file_kind(info.st_mode), False)
        return Ancestor(parent, None, os.access(parent, os.W_OK | os.X_OK))
    return None


def name_max(path: PathLike) -> int:
    """The longest file name (bytes) the file system of `path`'s nearest
    existing ancestor allows."""
    for ancestor in [Path(path), *Path(path).absolute().parents]:
        try:
            return os.pathconf(ancestor, "PC_NAME_MAX")
        except (OSError, ValueError):
            continue
    return 255


def long_name(path: PathLike) -> Optional[Tuple[str, int, int]]:
    """The first name in `path` longer than its file system allows, as
    (name, its size in bytes, the limit); None if every name fits."""
    limit = name_max(path)
    for part in Path(path).parts:
        size = len(os.fsencode(part))
        if size > limit:
            return part, size, limit
    return None


def make_parents(directory: PathLike) -> List[Path]:
    """`mkdir -p directory`, returning the directories it made (outermost
    first) so that a failed write can remove them again (`remove_dirs`)."""
    directory = Path(directory)
    missing = [d for d in [directory, *directory.parents] if not os.path.lexists(d)]
    made: List[Path] = []
    try:
        for d in reversed(missing):
            d.mkdir()
            made.append(d)
    except BaseException:
        remove_dirs(made)
        raise
    return made


def remove_dirs(made: Sequence[Path]) -> None:
    """Remove the directories `make_parents` made, innermost first, where
    they are still empty."""
    for d in reversed(made):
        try:
            d.rmdir()
        except OSError:
            pass


def create_exclusive(path: PathLike, role: str):
    """A new file at `path` opened for binary writing: O_EXCL (it must not
    exist) and O_NOFOLLOW (never a link), mode 0666 less the umask."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
    except OSError as err:
        raise PathError(Errors.E423.format(role=role, path=path, error=os_reason(err))) from None
    return os.fdopen(fd, "wb")


def open_existing(path: PathLike, role: str):
    """An existing regular file opened for reading and writing, never
    through a link (O_NOFOLLOW)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise PathError(Errors.E421.format(role=role, path=path)) from None
        raise PathError(Errors.E423.format(role=role, path=path, error=os_reason(err))) from None
    return os.fdopen(fd, "r+b")


def current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# mkstemp's random part: 8 characters, no dot.
_RANDOM_CHARS = 8


def temp_prefix(target: PathLike) -> str:
    """The name prefix of `write_atomic`'s temporary files for `target`:
    `.<name>.`, the name cut (at a character) so that the temporary name fits
    the file system even when `target`'s own name is as long as it allows."""
    target = Path(target)
    budget = name_max(target.parent) - _RANDOM_CHARS - len(TEMP_SUFFIX) - 2
    name = os.fsencode(target.name)[:budget].decode(errors="ignore") if budget > 0 else ""
    return f".{name}."


FileId = Tuple[int, int, int]


def _file_id(info: os.stat_result) -> FileId:
    return info.st_dev, info.st_ino, stat.S_IFMT(info.st_mode)


def _id_at(path: Path) -> Optional[FileId]:
    """The identity of what is at `path` itself (a link is not followed), or None."""
    info = probe(path)
    return None if info is None else _file_id(info)


def _unlink_if_ours(tmp: Path, ours: FileId) -> None:
    """Remove a temporary file unless something else was put at its name."""
    if _id_at(tmp) == ours:
        tmp.unlink()


def _write_temp(target: Path, data: bytes, mode: int) -> Tuple[Path, FileId]:
    """`data` in a new temporary file beside `target` (created exclusively
    under a random name, so never through a link), synced, with `mode`: its
    path and identity."""
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=temp_prefix(target), suffix=TEMP_SUFFIX)
    tmp, ours = Path(name), _file_id(os.fstat(fd))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fchmod(f.fileno(), mode)
            os.fsync(f.fileno())
    except BaseException:
        _unlink_if_ours(tmp, ours)
        raise
    return tmp, ours


class WriteError(PathError):
    """Writing outputs failed: `path` is the output at fault, `reason` says
    why and names any output already written (none unless a rename failed)."""

    def __init__(self, role: str, path: Path, reason: str) -> None:
        super().__init__(Errors.E423.format(role=role, path=path, error=reason))
        self.path, self.reason = path, reason


def write_atomic_many(contents: Iterable[Tuple[PathLike, bytes]], role: str = "output", *,
                      parents: bool = False) -> None:
    """Replace each target with its bytes, all or none: every one is first
    written to a temporary file beside it (`_write_temp`); only when all are
    written and each temporary path still holds our own file (not a link or
    file put there meanwhile) are they renamed over their targets (a link at
    a target is replaced, not followed). Files get the permissions of a new
    file (0666 less the umask). `parents`: make missing parent directories
    (removed again on failure). `contents` may be a generator: each target's
    bytes are made only when it is its turn. On failure the temporary files
    are removed and a `WriteError` names the target."""
    mode = 0o666 & ~current_umask()
    temps: Dict[Path, Tuple[Path, FileId]] = {}
    made: List[Path] = []
    written: List[Path] = []
    target = Path(".")
    try:
        for target, data in contents:
            target = Path(target)
            if parents:
                made += make_parents(target.parent)
            temps[target] = _write_temp(target, data, mode)
        for target, (tmp, ours) in temps.items():
            if _id_at(tmp) != ours:
                raise WriteError(role, target, f"the temporary file {tmp} was replaced while it was written: "
                                               "nothing written")
        for target, (tmp, _) in list(temps.items()):
            os.replace(tmp, target)
            del temps[target]
            written.append(target)
    except BaseException as err:
        for tmp, ours in temps.values():
            _unlink_if_ours(tmp, ours)
        if not written:
            remove_dirs(made)
        if isinstance(err, OSError):
            done = f" (already written: {', '.join(map(str, written))})" if written else ""
            raise WriteError(role, target, os_reason(err) + done) from None
        raise


def write_atomic(path: PathLike, data: bytes, role: str = "output") -> str:
    """Replace `path` with `data` atomically and durably (`write_atomic_many`
    for one file; a crash leaves the old file or the new one); return the
    SHA-256 of `data`."""
    write_atomic_many([(path, data)], role)
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
            raise PathError(Errors.E423.format(role="lock file", path=self.path, error=os_reason(err))) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            os.close(fd)
            if err.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise PathError(Errors.E424.format(output=self.output, lock=self.path)) from None
            raise PathError(Errors.E423.format(role="lock file", path=self.path, error=os_reason(err))) from None
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
