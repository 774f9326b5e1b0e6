"""The manifest of a silver set: `silver.json` beside its DocBin shards.

It says what made the set (the teacher's fingerprint, labels and tag scheme),
what is in it (counts, and whether the sentences carry the teacher's
probabilities) and which shards make it whole (name, doc count, SHA-256).
It is written last, when every shard is on disk, so a folder without one is
an unfinished set; the reader refuses a set whose shards differ from it.
"""
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

from ..errors import Errors
from ..paths import write_atomic

MANIFEST_NAME = "silver.json"
KIND = "spacy-bilstm-crf silver set"
FORMAT_VERSION = 1
TAG_SCHEMES = ("BILUO", "BIO")


@dataclass(frozen=True)
class ShardInfo:
    """One DocBin shard of the set: its file name in the folder, doc count and SHA-256."""

    file: str
    docs: int
    sha256: str


@dataclass(frozen=True)
class SilverCounts:
    """What the set holds: docs, sentences, tokens and entities per label."""

    docs: int
    sentences: int
    tokens: int
    entities: Dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class SilverManifest:
    """The manifest's fields (see the module docstring); `to_json` gives the file's object."""

    teacher: str
    labels: Tuple[str, ...]
    tag_scheme: Optional[str]
    sentence_probabilities: bool
    counts: SilverCounts
    shards: Tuple[ShardInfo, ...]
    format_version: int = FORMAT_VERSION

    def to_json(self) -> Dict[str, Any]:
        return {
            "kind": KIND,
            "format_version": self.format_version,
            "teacher": self.teacher,
            "labels": list(self.labels),
            "tag_scheme": self.tag_scheme,
            "sentence_probabilities": self.sentence_probabilities,
            "counts": {
                "docs": self.counts.docs,
                "sentences": self.counts.sentences,
                "tokens": self.counts.tokens,
                "entities": dict(sorted(self.counts.entities.items())),
            },
            "shards": [{"file": s.file, "docs": s.docs, "sha256": s.sha256} for s in self.shards],
        }


def manifest_path(folder: Union[str, Path]) -> Path:
    return Path(folder) / MANIFEST_NAME


def write_manifest(folder: Union[str, Path], manifest: SilverManifest, *, overwrite: bool = False) -> Path:
    """Write `silver.json` in `folder` through a temporary file in the same
    folder and os.replace: a reader sees the old file or the new one, never
    half of one. Refuses (E226) a link in its place (it would be replaced,
    not written through) and, without `overwrite`, an existing manifest."""
    path = manifest_path(folder)
    if not Path(folder).is_dir():
        raise ValueError(Errors.E226.format(path=path, reason=f"{folder} is not a folder"))
    if path.is_symlink():
        raise ValueError(Errors.E226.format(path=path, reason="it is a symbolic link"))
    if path.exists() and not overwrite:
        raise ValueError(Errors.E226.format(path=path, reason="a manifest is already there (pass overwrite)"))
    data = json.dumps(manifest.to_json(), indent=2, ensure_ascii=False) + "\n"
    write_atomic(path, data.encode("utf8"), "silver manifest")
    return path


def read_manifest(folder: Union[str, Path]) -> SilverManifest:
    """Read and check `silver.json` in `folder` (or the file itself): every
    field present and of its type, else a coded error naming the file and
    the field."""
    path = Path(folder)
    if path.is_dir():
        path = manifest_path(path)
    if not path.is_file():
        raise ValueError(Errors.E220.format(path=path, name=MANIFEST_NAME))
    try:
        data = json.loads(path.read_text(encoding="utf8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(Errors.E221.format(path=path, error=err)) from None
    if not isinstance(data, dict):
        raise ValueError(Errors.E221.format(path=path, error=f"found a JSON {type(data).__name__}"))
    return _parse(path, data)


class _Fields:
    """Typed access to the manifest's fields; the first bad one raises E222."""

    def __init__(self, path: Path, data: Dict[str, Any], prefix: str = "") -> None:
        self.path, self.data, self.prefix = path, data, prefix

    def error(self, name: str, problem: str) -> str:
        """E222 for the field `name` (under this object's prefix)."""
        return Errors.E222.format(path=self.path, field=self.prefix + name, problem=problem)

    def get(self, name: str) -> Any:
        if name not in self.data:
            raise ValueError(self.error(name, "is missing"))
        return self.data[name]

    def count(self, name: str) -> int:
        value = self.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(self.error(name, f"must be an integer >= 0, found {value!r}"))
        return value

    def string(self, name: str, *, nullable: bool = False) -> Optional[str]:
        value = self.get(name)
        if value is None and nullable:
            return None
        if not isinstance(value, str) or not value:
            expected = "a non-empty string" + (" or null" if nullable else "")
            raise ValueError(self.error(name, f"must be {expected}, found {value!r}"))
        return value

    def sub(self, name: str) -> "_Fields":
        value = self.get(name)
        if not isinstance(value, dict):
            raise ValueError(self.error(name, f"must be an object, found {value!r}"))
        return _Fields(self.path, value, f"{self.prefix}{name}.")


def _parse(path: Path, data: Dict[str, Any]) -> SilverManifest:
    top = _Fields(path, data)
    if top.get("kind") != KIND:
        raise ValueError(top.error("kind", f"must be {KIND!r}, found {data['kind']!r}"))
    version = top.get("format_version")
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise ValueError(Errors.E223.format(path=path, found=version, supported=FORMAT_VERSION))
    labels = top.get("labels")
    if not isinstance(labels, list) or not all(isinstance(x, str) and x for x in labels):
        raise ValueError(top.error("labels", f"must be a list of label names, found {labels!r}"))
    if len(set(labels)) != len(labels):
        raise ValueError(top.error("labels", f"names a label twice: {labels!r}"))
    scheme = top.string("tag_scheme", nullable=True)
    if scheme is not None and scheme not in TAG_SCHEMES:
        raise ValueError(top.error("tag_scheme", f"must be one of {', '.join(TAG_SCHEMES)} or null, found {scheme!r}"))
    probs = top.get("sentence_probabilities")
    if not isinstance(probs, bool):
        raise ValueError(top.error("sentence_probabilities", f"must be true or false, found {probs!r}"))
    counts = _parse_counts(top.sub("counts"), labels)
    shards = _parse_shards(top, counts.docs)
    return SilverManifest(
        teacher=top.string("teacher"), labels=tuple(labels), tag_scheme=scheme,
        sentence_probabilities=probs, counts=counts, shards=shards, format_version=version,
    )


def _parse_counts(counts: _Fields, labels: List[str]) -> SilverCounts:
    entities = counts.sub("entities")
    for label in entities.data:
        if label not in labels:
            problem = f"counts entities of a label that is not in `labels` ({', '.join(labels)})"
            raise ValueError(entities.error(label, problem))
        entities.count(label)
    return SilverCounts(docs=counts.count("docs"), sentences=counts.count("sentences"),
                        tokens=counts.count("tokens"), entities=dict(entities.data))


def _parse_shards(top: _Fields, n_docs: int) -> Tuple[ShardInfo, ...]:
    items = top.get("shards")
    if not isinstance(items, list):
        raise ValueError(top.error("shards", f"must be a list, found {items!r}"))
    shards, names = [], set()
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise ValueError(top.error(f"shards[{i}]", f"must be an object, found {item!r}"))
        shard = _Fields(top.path, item, f"shards[{i}].")
        name = shard.string("file")
        if Path(name).name != name or name in (".", "..") or not name.endswith(".spacy"):
            raise ValueError(shard.error("file", f"must be a plain file name ending in .spacy, found {name!r}"))
        if name in names:
            raise ValueError(shard.error("file", f"lists {name!r} twice"))
        names.add(name)
        digest = shard.string("sha256")
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):  # type: ignore[union-attr]
            raise ValueError(shard.error("sha256", f"must be 64 lower-case hex digits, found {digest!r}"))
        shards.append(ShardInfo(file=name, docs=shard.count("docs"), sha256=digest))  # type: ignore[arg-type]
    if sum(s.docs for s in shards) != n_docs:
        raise ValueError(top.error("shards", f"count {sum(s.docs for s in shards)} docs, but counts.docs is {n_docs}"))
    return tuple(shards)

