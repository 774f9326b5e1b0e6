"""Make a silver set from a teacher pipeline and unlabelled text: the
reusable step of distillation (`python -m spacy_bilstm_crf distill`).

The input is read whole once before the teacher is loaded, so a bad line is
refused before any work; the set is written into a temporary folder beside
the output and moved into place when complete (`output_dir.write_output_dir`),
so a failure leaves the output as it was. An existing non-empty output is
replaced only with `overwrite`, and only if it is a silver set itself.
"""
import os
import re
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, List, Mapping, Optional

import spacy
from tqdm import tqdm

from ..errors import Errors
from ..output_dir import check_output_dir, write_output_dir
from ..paths import check_outside, current_umask, is_inside, probe, same_file
from .manifest import MANIFEST_NAME, SilverManifest
from .shards import SHARD_PATTERN, write_silver_set
from .teacher import annotate_sentences, find_teacher, saved_teacher_fingerprint
from .text import TextStats, check_text, detect_format, read_sentences

SHARD_NAME = re.compile("^" + re.escape(SHARD_PATTERN).replace(r"\{:05d\}", r"\d{5}") + "$")


class DistillError(ValueError):
    """A silver set that cannot be made as asked (nothing was written)."""


@dataclass(frozen=True)
class SilverRun:
    """What `make_silver_set` did: the manifest written, the input's counts and the teacher's speed."""

    manifest: SilverManifest
    text: TextStats
    input_format: str
    seconds: float

    @property
    def words_per_second(self) -> float:
        return self.manifest.counts.tokens / max(self.seconds, 1e-9)


def check_silver_output(path: Path, *, overwrite: bool, inputs: Mapping[str, Path]) -> None:
    """Raise unless `path` can take a silver set: new or empty (the checks of
    `check_output_dir`), or with `overwrite` an existing silver set (only its
    manifest and shards) that holds none of the `inputs` (role -> path)."""
    path = Path(path)
    try:
        info = probe(path)
    except OSError:  # said in words by check_output_dir
        info = None
    if not (overwrite and info is not None and stat.S_ISDIR(info.st_mode) and os.listdir(path)):
        check_output_dir(path, overwrite=False, inputs=inputs)
        return
    names = sorted(os.listdir(path))
    if MANIFEST_NAME not in names:
        raise DistillError(Errors.E246.format(path=path, reason=f"it holds no {MANIFEST_NAME}"))
    other = [name for name in names if name != MANIFEST_NAME and not SHARD_NAME.match(name)]
    if other:
        raise DistillError(Errors.E246.format(path=path, reason=f"it holds {other[0]!r}, which is not part of a silver set"))
    for role, other_path in inputs.items():
        if is_inside(other_path, path) or same_file(other_path, path):
            raise DistillError(Errors.E246.format(path=path, reason=f"the {role} {other_path} lies inside it"))


def load_teacher(path: Path, gpu_id: int = -1) -> spacy.language.Language:
    """The teacher pipeline (on GPU `gpu_id` if >= 0), or DistillError naming it."""
    if gpu_id >= 0:
        try:
            spacy.require_gpu(gpu_id)
        except Exception as err:  # noqa: BLE001 -- no CuPy, no such device: said the same way
            raise DistillError(Errors.E252.format(gpu_id=gpu_id, error=f"{type(err).__name__}: {err}")) from None
    if not Path(path).is_dir():
        raise DistillError(Errors.E245.format(path=path, error="not a directory (expected a trained pipeline folder)"))
    try:
        return spacy.load(path)
    except Exception as err:  # noqa: BLE001 -- any failure to load is reported the same way
        raise DistillError(Errors.E245.format(path=path, error=f"{type(err).__name__}: {err}")) from None


def make_silver_set(
    teacher_path: Path,
    text_path: Path,
    output_dir: Path,
    *,
    input_format: Optional[str] = None,
    sentences_per_doc: int = 3,
    shard_size: int = 1000,
    batch_size: int = 64,
    max_tokens: int = 500,
    overwrite: bool = False,
    gpu_id: int = -1,
    progress: bool = True,
) -> SilverRun:
    """Annotate the sentences of `text_path` (see `silver.text`) with the
    pipeline in `teacher_path` and write the silver set to `output_dir`.
    Every check (paths, input, teacher) comes before anything is written."""
    teacher_path, text_path, output_dir = Path(teacher_path), Path(text_path), Path(output_dir)
    fmt = detect_format(text_path, input_format)
    check_outside({"output": output_dir}, teacher_path, "teacher pipeline directory")
    check_silver_output(output_dir, overwrite=overwrite, inputs={"text": text_path, "teacher": teacher_path})
    stats = check_text(text_path, fmt, max_tokens=max_tokens)
    nlp = load_teacher(teacher_path, gpu_id)
    teacher = find_teacher(nlp)
    fingerprint = saved_teacher_fingerprint(teacher_path)
    sentences: Iterable[List[str]] = read_sentences(text_path, fmt, max_tokens=max_tokens)
    sentences = tqdm(sentences, total=stats.sentences, unit="sent", desc="teacher", disable=not progress)
    written: List[SilverManifest] = []
    start = time.perf_counter()

    def write(folder: Path) -> None:
        os.chmod(folder, 0o777 & ~current_umask())  # a usual folder, not the temporary one's 0o700
        docs = annotate_sentences(nlp, sentences, sentences_per_doc=sentences_per_doc, batch_size=batch_size)
        written.append(write_silver_set(docs, folder, teacher=fingerprint, labels=teacher.labels,
                                        tag_scheme=teacher.tag_scheme, shard_size=shard_size))

    write_output_dir(output_dir, write, replace=overwrite)
    seconds = time.perf_counter() - start
    return SilverRun(manifest=written[0], text=stats, input_format=fmt, seconds=seconds)
