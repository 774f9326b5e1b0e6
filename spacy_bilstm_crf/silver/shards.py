"""Write a silver set (DocBin shards, then the manifest) and read one back,
checked against its manifest.

`annotate --output-format docbin` writes shards of its own; `describe_shards`
makes the manifest for any folder of finished silver shards, so the same
reader serves both.
"""
import hashlib
from collections import Counter
from pathlib import Path
from typing import Iterable, Iterator, List, Optional, Sequence, Tuple, Union

from spacy.tokens import Doc, DocBin
from spacy.vocab import Vocab

from ..errors import Errors
from ..paths import write_atomic
from .layout import sentence_probabilities
from .manifest import MANIFEST_NAME, ShardInfo, SilverCounts, SilverManifest, read_manifest, write_manifest

SHARD_PATTERN = "silver-{:05d}.spacy"


def write_silver_set(
    docs: Iterable[Doc],
    folder: Union[str, Path],
    *,
    teacher: str,
    labels: Sequence[str],
    tag_scheme: Optional[str],
    shard_size: int = 1000,
) -> SilverManifest:
    """Write silver docs as DocBin shards of `shard_size` docs into `folder`
    (new, or empty), each through a temporary file and os.replace, then the
    manifest. Refuses (E226) a folder that already holds files: nothing is
    overwritten or mixed."""
    folder = Path(folder)
    if isinstance(shard_size, bool) or not isinstance(shard_size, int) or shard_size < 1:
        raise ValueError(Errors.E229.format(what="shard_size", expected="an integer >= 1", value=shard_size))
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise ValueError(Errors.E226.format(path=folder, reason="it is not a folder"))
    if folder.exists() and any(folder.iterdir()):
        raise ValueError(Errors.E226.format(path=folder, reason="the folder is not empty; choose a new one"))
    folder.mkdir(parents=True, exist_ok=True)
    names: List[str] = []
    batch: List[Doc] = []
    for doc in docs:
        batch.append(doc)
        if len(batch) == shard_size:
            names.append(_write_shard(folder, len(names), batch))
            batch = []
    if batch or not names:
        names.append(_write_shard(folder, len(names), batch))
    manifest = describe_shards(folder, names, teacher=teacher, labels=labels, tag_scheme=tag_scheme)
    write_manifest(folder, manifest)
    return manifest


def _write_shard(folder: Path, number: int, docs: List[Doc]) -> str:
    name = SHARD_PATTERN.format(number)
    data = DocBin(docs=docs, store_user_data=True).to_bytes()
    write_atomic(folder / name, data, "silver shard")
    return name


def describe_shards(
    folder: Union[str, Path], names: Sequence[str], *, teacher: str, labels: Sequence[str],
    tag_scheme: Optional[str],
) -> SilverManifest:
    """The manifest of the finished shards `names` in `folder`: counts from
    the docs themselves, the shards' SHA-256. Every doc must carry sentence
    probabilities, or none (E233), and only entities of `labels` (E233)."""
    folder = Path(folder)
    vocab = Vocab()
    counts: Counter = Counter()
    entities: Counter = Counter()
    with_probs: Optional[bool] = None
    shards = []
    for name in names:
        path = folder / name
        data = path.read_bytes()
        docs = list(DocBin(store_user_data=True).from_bytes(data).get_docs(vocab))
        for i, doc in enumerate(docs):
            has = sentence_probabilities(doc, path=str(path), index=i) is not None
            if with_probs is None:
                with_probs = has
            elif has != with_probs:
                problem = "has sentence probabilities" if has else "has no sentence probabilities"
                raise ValueError(Errors.E233.format(path=path, doc=i, problem=problem + ", unlike the docs before it"))
            for ent in doc.ents:
                if ent.label_ not in labels:
                    problem = f"has an entity labelled {ent.label_!r}, not one of the teacher's labels {list(labels)}"
                    raise ValueError(Errors.E233.format(path=path, doc=i, problem=problem))
                entities[ent.label_] += 1
            counts["sentences"] += len(list(doc.sents)) if doc.has_annotation("SENT_START") else 1
            counts["tokens"] += len(doc)
        counts["docs"] += len(docs)
        shards.append(ShardInfo(file=name, docs=len(docs), sha256=hashlib.sha256(data).hexdigest()))
    return SilverManifest(
        teacher=teacher, labels=tuple(labels), tag_scheme=tag_scheme, sentence_probabilities=bool(with_probs),
        counts=SilverCounts(docs=counts["docs"], sentences=counts["sentences"], tokens=counts["tokens"],
                            entities={label: entities[label] for label in labels}),
        shards=tuple(shards),
    )


def check_silver_set(folder: Union[str, Path]) -> SilverManifest:
    """Read the manifest of `folder` and check the folder against it: no
    unlisted DocBin file (E225), every listed shard present with its SHA-256
    (E224). The doc counts are checked as the docs are read."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(Errors.E234.format(path=folder, problem="found no folder"))
    manifest = read_manifest(folder)
    listed = {s.file for s in manifest.shards}
    extra = sorted(p.name for p in folder.glob("*.spacy") if p.name not in listed)
    if extra:
        raise ValueError(Errors.E225.format(folder=folder, names=", ".join(extra), path=folder / MANIFEST_NAME))
    for shard in manifest.shards:
        path = folder / shard.file
        if not path.is_file():
            raise ValueError(_shard_error(folder, shard.file, "is missing"))
        digest = hashlib.sha256()
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
        if digest.hexdigest() != shard.sha256:
            raise ValueError(_shard_error(folder, shard.file, "differs from the manifest's SHA-256 (changed since)"))
    return manifest


def read_silver_docs(folder: Union[str, Path], manifest: SilverManifest, vocab: Vocab
                     ) -> Iterator[Tuple[str, int, Doc]]:
    """(shard path, index in the shard, doc) for every doc of the set, in
    manifest order; a shard with another doc count than listed raises E224."""
    folder = Path(folder)
    for shard in manifest.shards:
        path = folder / shard.file
        docs = list(DocBin(store_user_data=True).from_disk(path).get_docs(vocab))
        if len(docs) != shard.docs:
            problem = f"holds {len(docs)} docs, the manifest says {shard.docs}"
            raise ValueError(_shard_error(folder, shard.file, problem))
        for i, doc in enumerate(docs):
            yield str(path), i, doc


def _shard_error(folder: Path, name: str, problem: str) -> str:
    return Errors.E224.format(folder=folder, shard=name, path=folder / MANIFEST_NAME, problem=problem)
