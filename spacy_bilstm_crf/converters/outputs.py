"""Where converted corpora go: checks of the output location made before any
work, and all-or-none writing of the DocBins, both over the shared path
primitives of `spacy_bilstm_crf.paths`, worded as ConversionErrors."""
import os
import stat
import zlib
from pathlib import Path
from typing import Dict, List, Sequence

import srsly
from spacy.tokens import Doc, DocBin

from ..errors import Errors
from ..paths import WriteError, nearest_ancestor, os_reason, probe, same_file, write_atomic_many
from .report import ConversionError, PathLike

# TAG keeps the POS column, SENT_START the source's sentence boundaries.
# DocBin also stores each Doc's span groups (PubTator: doc.spans["mentions"]).
DOCBIN_ATTRS = ["ORTH", "TAG", "ENT_IOB", "ENT_TYPE", "SENT_START"]
# The fields of every DocBin.to_bytes message: an existing output that has
# them is a converted corpus, which convert may replace (as `spacy convert`
# does); any other existing file is refused.
DOCBIN_FIELDS = {"attrs", "tokens", "spaces", "lengths", "strings"}


def check_split_name(name: str) -> None:
    """A split part's name becomes OUTPUT/<name>.spacy: a plain file name only."""
    if not name or name in (".", "..") or Path(name).name != name or "/" in name or "\\" in name:
        raise ValueError(Errors.E404.format(name=name))


def check_outputs(input_path: Path, targets: Sequence[Path], output_dir: bool) -> None:
    """Fail before any work when the outputs cannot be written or would
    overwrite the input. `output_dir`: the targets go into a directory (split).
    The kernel judges each path (`paths.probe`): symbolic link loops, names
    too long and paths through a file are refused here, never a traceback."""
    try:
        os.stat(input_path)
    except OSError as err:
        raise ConversionError(input_path, None, f"cannot read the input: {os_reason(err)}") from None
    for target in targets:
        try:
            found = probe(target, follow=True)
        except OSError as err:
            raise ConversionError(target, None, f"cannot write the output: {os_reason(err)}") from None
        if found is not None and stat.S_ISDIR(found.st_mode):
            raise ConversionError(target, None, "the output is a directory: give a file name such as "
                                                f"{target / 'train.spacy'}")
        if found is not None and same_file(target, input_path):
            raise ConversionError(target, None, f"the output is the input file {input_path}: nothing written")
        if found is not None and not stat.S_ISREG(found.st_mode):
            raise ConversionError(target, None, "the output exists and is not a regular file: refusing to "
                                                "replace it, nothing written")
        if found is not None and not is_docbin(target):
            raise ConversionError(target, None, "the output exists and is not a .spacy DocBin: refusing to "
                                                "replace it, nothing written. Remove it or choose another name")
        check_parents(target, output_dir)


def is_docbin(path: Path) -> bool:
    """Whether `path` reads as a DocBin (zlib-compressed msgpack with DocBin's
    fields). convert replaces an earlier output, but never a file that is not
    one: a mistyped output name must not destroy a corpus or anything else.
    An unreadable file counts as not a DocBin (it is refused)."""
    try:
        with path.open("rb") as file:
            head = file.read(2)
            # a zlib stream's 2-byte header (deflate, CMF*256+FLG divisible by 31)
            # first: a large file of another kind is never read whole
            if len(head) < 2 or head[0] & 0x0F != 8 or (head[0] * 256 + head[1]) % 31:
                return False
            message = srsly.msgpack_loads(zlib.decompress(head + file.read()))
    except Exception:  # any unreadable, non-zlib or non-msgpack content
        return False
    return isinstance(message, dict) and DOCBIN_FIELDS <= set(message)


def check_parents(target: Path, output_dir: bool) -> None:
    """The nearest existing parent must be a directory we may write into."""
    try:
        parent = nearest_ancestor(target)
    except OSError as err:
        raise ConversionError(target, None, f"cannot write the output: {os_reason(err)}") from None
    if parent is None:
        return
    if parent.kind is not None:
        where = "directory" if output_dir and parent.path == target.parent else "parent directory"
        raise ConversionError(target, None, f"cannot write the output: its {where} {parent.path} is a file")
    if not parent.writable:
        raise ConversionError(target, None, f"cannot write the output: {parent.path} is not writable")


def write_docbins(outputs: Dict[Path, List[Doc]]) -> None:
    """Write every DocBin, all or none (`paths.write_atomic_many`: temporary
    files beside the targets, created exclusively, each checked to be still
    ours before any is renamed; the usual permissions; missing directories
    made). Write errors become ConversionErrors naming the target."""
    contents = ((target, DocBin(attrs=DOCBIN_ATTRS, docs=docs).to_bytes()) for target, docs in outputs.items())
    try:
        write_atomic_many(contents, parents=True)
    except WriteError as err:
        raise ConversionError(err.path, None, f"cannot write the output: {err.reason}") from None


def read_docbin(path: PathLike, vocab) -> List[Doc]:
    return list(DocBin().from_disk(path).get_docs(vocab))
