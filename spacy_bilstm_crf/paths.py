"""Path checks shared by the commands that read one file and write others
(`annotate`, `convert`): an output must never be the input, whatever links or
spellings lead to it, or a run would destroy what it reads."""
import os
from pathlib import Path
from typing import Mapping, Optional

from .errors import Errors


class SamePathError(ValueError):
    """Two roles of a command (input, output, ...) name the same file."""


def same_file(a: Path, b: Path) -> bool:
    """Whether `a` and `b` are one file: the same inode when both exist (hard
    and symbolic links included), else the same fully resolved path."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return Path(a).resolve() == Path(b).resolve()


def is_inside(path: Path, directory: Path) -> bool:
    """Whether `path` lies under `directory` (links resolved)."""
    path, directory = Path(path).resolve(), Path(directory).resolve()
    return path != directory and directory in path.parents


def check_distinct(paths: Mapping[str, Optional[Path]], *, directories: Mapping[str, Path] = {}) -> None:
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
