"""Output files of `annotate` that a checkpoint can vouch for.

Each writer knows the size and SHA-256 of what it has written. On resume it
checks the files on disk against the checkpoint: content the checkpoint
describes must be there, byte for byte (else `AnnotateError`: never padded,
never skipped); content written after the checkpoint (an interrupted run's
last, unrecorded batch) is removed and redone.
"""
import hashlib
import os
import re
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from spacy.tokens import Doc, DocBin

from ..paths import create_exclusive, open_existing, write_atomic
from .io import check_docbin_storable
from .options import AnnotateError

Refuse = Callable[[str], AnnotateError]


def hash_prefix(path: Path, n_bytes: int) -> Optional[Any]:
    """SHA-256 of the first `n_bytes` of `path`, or None if it is shorter."""
    digest = hashlib.sha256()
    left = n_bytes
    with Path(path).open("rb") as f:
        while left:
            chunk = f.read(min(left, 1 << 20))
            if not chunk:
                return None
            digest.update(chunk)
            left -= len(chunk)
    return digest


def check_file(path: Path, state: Dict[str, Any], role: str, refuse: Refuse, tail_ok: bool = True) -> Any:
    """Check that `path` starts with the checkpointed content (and, unless
    `tail_ok`, holds nothing more); return its hash."""
    if not path.is_file():
        raise refuse(f"the {role} {path} is missing, though it held {state['bytes']:,} bytes at the checkpoint")
    size = path.stat().st_size
    if size < state["bytes"]:
        raise refuse(f"the {role} {path} holds {size:,} bytes, fewer than the {state['bytes']:,} "
                     "it held at the checkpoint")
    if size > state["bytes"] and not tail_ok:
        raise refuse(f"the {role} {path} holds {size:,} bytes, more than the {state['bytes']:,} of the "
                     "finished run: it was changed since")
    digest = hash_prefix(path, state["bytes"])
    if digest is None or digest.hexdigest() != state["sha256"]:
        raise refuse(f"the first {state['bytes']:,} bytes of the {role} {path} differ from those checkpointed")
    return digest


class HashedFile:
    """An append-only output file: a fresh one, or one resumed at the
    checkpoint (anything after it is cut)."""

    def __init__(self, path: Path, state: Optional[Dict[str, Any]], role: str, refuse: Refuse,
                 tail_ok: bool = True) -> None:
        self.path = path
        if state is None:  # a new file: the job removed what it replaces
            self.file = create_exclusive(path, role)
            self.digest, self.size = hashlib.sha256(), 0
        else:
            self.digest, self.size = check_file(path, state, role, refuse, tail_ok), state["bytes"]
            self.file = open_existing(path, role)
            self.file.truncate(self.size)
            self.file.seek(self.size)

    def write(self, data: bytes) -> None:
        self.file.write(data)
        self.digest.update(data)
        self.size += len(data)

    def state(self) -> Dict[str, Any]:
        """Flush to disk and describe the content, for a checkpoint."""
        self.file.flush()
        os.fsync(self.file.fileno())
        return {"bytes": self.size, "sha256": self.digest.hexdigest()}

    def close(self) -> None:
        self.file.close()


class ShardSet:
    """Complete, immutable shards `part-NNNNN<suffix>` in a directory, each
    recorded with its SHA-256. Files of ours that the checkpoint does not list
    were written after it and are removed on resume."""

    def __init__(self, directory: Path, suffixes: List[str], state: Optional[List[Dict[str, Any]]],
                 refuse: Refuse, keep: Tuple[str, ...] = (), extra_ok: bool = True) -> None:
        self.directory, self.suffixes = directory, suffixes
        self.shards: List[Dict[str, Any]] = list(state or [])
        for shard in self.shards:
            for suffix in suffixes:
                path = directory / (shard["name"] + suffix)
                if not path.is_file():
                    raise refuse(f"the shard {path} is missing")
                if hashlib.sha256(path.read_bytes()).hexdigest() != shard["sha256"][suffix]:
                    raise refuse(f"the shard {path} differs from the one checkpointed")
        listed = {shard["name"] + suffix for shard in self.shards for suffix in suffixes} | set(keep)
        extra = [path for path in ours(directory) if path.name not in listed]
        if extra and not extra_ok:
            raise refuse(f"{extra[0]} is not part of the finished run")
        for path in extra:
            path.unlink()

    @property
    def next_name(self) -> str:
        return f"part-{len(self.shards):05d}"

    def add(self, contents: Dict[str, bytes]) -> None:
        """Write one shard (a file per suffix) and record it."""
        name = self.next_name
        digests = {suffix: write_atomic(self.directory / (name + suffix), contents[suffix])
                   for suffix in self.suffixes}
        self.shards.append({"name": name, "sha256": digests})

    def state(self) -> List[Dict[str, Any]]:
        return list(self.shards)


OURS = re.compile(r"^part-\d{5}(\.[a-z0-9]+)+$")


def ours(directory: Path) -> List[Path]:
    """The files annotate writes in an output directory (shards, partial and
    temporary files), and nothing else."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.is_file() and OURS.match(p.name))


class DocBinShardWriter:
    """DocBin shards of `shard_size` docs (a DocBin is one in-memory blob, so
    a new one starts every `shard_size` docs). Complete shards are written
    once; the current one is saved at each checkpoint under a new name,
    `part-NNNNN.spacy.partial.DDDDDD` (DDDDDD docs), which corpus readers
    ignore and which is removed once a later checkpoint no longer needs it."""

    SUFFIX = ".spacy"

    def __init__(self, directory: Path, shard_size: int, state: Optional[Dict[str, Any]], refuse: Refuse,
                 extra_ok: bool = True) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory, self.shard_size = directory, shard_size
        self.docbin = DocBin(store_user_data=True)
        self.partial: Optional[Dict[str, Any]] = (state or {}).get("partial")
        if self.partial:
            path = directory / self.partial["name"]
            data = path.read_bytes() if path.is_file() else b""
            if hashlib.sha256(data).hexdigest() != self.partial["sha256"]:
                raise refuse(f"the partial shard {path} is missing or differs from the one checkpointed")
            self.docbin = DocBin(store_user_data=True).from_bytes(data)
        keep = (self.partial["name"],) if self.partial else ()
        self.shards = ShardSet(directory, [self.SUFFIX], (state or {}).get("shards"), refuse, keep, extra_ok)

    def write(self, doc: Doc) -> None:
        """Add `doc`, or ValueError (for the line to be rejected) if its
        user data cannot be stored in a DocBin (msgpack: e.g. an integer
        of 2**64 or more)."""
        check_docbin_storable(doc.user_data)
        self.docbin.add(doc)
        if len(self.docbin) >= self.shard_size:
            self.shards.add({self.SUFFIX: self.docbin.to_bytes()})
            self.docbin = DocBin(store_user_data=True)

    def state(self) -> Dict[str, Any]:
        """Save the current shard as a partial file and describe the output."""
        self.partial = None
        if len(self.docbin):
            name = f"{self.shards.next_name}{self.SUFFIX}.partial.{len(self.docbin):06d}"
            self.partial = {"name": name, "docs": len(self.docbin),
                            "sha256": write_atomic(self.directory / name, self.docbin.to_bytes())}
        return {"shards": self.shards.state(), "partial": self.partial}

    def after_checkpoint(self) -> None:
        """Remove the partial shards the saved checkpoint no longer needs."""
        for path in ours(self.directory):
            if ".partial" in path.name and (self.partial is None or path.name != self.partial["name"]):
                path.unlink()

    def finish(self) -> None:
        """Write the last shard, complete or not."""
        if len(self.docbin):
            self.shards.add({self.SUFFIX: self.docbin.to_bytes()})
            self.docbin = DocBin(store_user_data=True)
