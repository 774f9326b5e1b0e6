"""Input records, output writers and the resume checkpoint of `annotate`.

Input is plain text (one document per line) or JSONL (an object per line with
a string `text` field; other fields are passed through). Every input line is
accounted for: annotated, or written to the rejects file with its line number
and the reason. A checkpoint beside the output records how many input lines
are done and the output's size at that point, so an interrupted run resumes
where the last complete batch ended, with identical output.
"""
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple, Union

import srsly
from spacy.tokens import Doc, DocBin

FORMATS_IN = ("text", "jsonl")
FORMATS_OUT = ("jsonl", "docbin")


@dataclass
class Record:
    line: int  # 1-based input line number
    text: str
    fields: Dict[str, Any]


@dataclass
class Reject:
    line: int
    error: str
    raw: str


def detect_format(path: Path) -> str:
    return "jsonl" if path.suffix in (".jsonl", ".ndjson") else "text"


def read_records(
    path: Path, input_format: str, *, skip: int = 0
) -> Iterator[Union[Record, Reject]]:
    """Stream records, skipping the first `skip` lines (already done)."""
    if input_format not in FORMATS_IN:
        raise ValueError(f"Unknown input format '{input_format}': expected one of {FORMATS_IN}")
    with Path(path).open("rb") as f:
        for number, raw_bytes in enumerate(f, start=1):
            if number <= skip:
                continue
            try:
                raw = raw_bytes.decode("utf8").rstrip("\r\n")
            except UnicodeDecodeError as err:
                yield Reject(number, f"not valid UTF-8 ({err})", raw_bytes.decode("utf8", "replace"))
                continue
            if input_format == "text":
                yield Record(number, raw, {})
                continue
            try:
                obj = json.loads(raw)
            except ValueError as err:
                yield Reject(number, f"not a JSON line ({err})", raw)
                continue
            if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
                yield Reject(number, "expected a JSON object with a string field 'text'", raw)
                continue
            text = obj.pop("text")
            yield Record(number, text, obj)


def doc_to_json(doc: Doc, record: Record, spans_key: Optional[str]) -> Dict[str, Any]:
    """The record's own fields, its line, its text and its entities (with
    scores where the model gives them)."""
    scores: Dict[Tuple[int, int, str], float] = {}
    if spans_key is not None and spans_key in doc.spans:
        group = doc.spans[spans_key]
        for span, score in zip(group, group.attrs.get("scores", [])):
            scores[(span.start_char, span.end_char, span.label_)] = float(score)
    ents = []
    for ent in doc.ents:
        item = {"text": ent.text, "start": ent.start_char, "end": ent.end_char, "label": ent.label_}
        key = (ent.start_char, ent.end_char, ent.label_)
        if key in scores:
            item["score"] = round(scores[key], 6)
        ents.append(item)
    out = dict(record.fields)
    out.update({"line": record.line, "text": record.text, "entities": ents})
    return out


class Checkpoint:
    """`<output>.progress.json`: input lines done, output and rejects sizes."""

    def __init__(self, output: Path) -> None:
        self.path = output.parent / (output.name + ".progress.json")

    def load(self) -> Dict[str, int]:
        if not self.path.exists():
            return {"lines_done": 0, "output_bytes": 0, "rejects_bytes": 0, "shards": 0}
        return srsly.read_json(self.path)

    def save(self, state: Dict[str, int]) -> None:
        tmp = self.path.with_suffix(".tmp")
        srsly.write_json(tmp, state)
        os.replace(tmp, self.path)


class JsonlWriter:
    """Appends JSON lines; on resume, cuts anything past the checkpoint."""

    def __init__(self, path: Path, resume_bytes: int) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = "r+b" if path.exists() else "wb"
        self.file = path.open(mode)
        self.file.truncate(resume_bytes)
        self.file.seek(resume_bytes)

    def write(self, objs: List[Dict[str, Any]]) -> None:
        for obj in objs:
            self.file.write((json.dumps(obj, ensure_ascii=False) + "\n").encode("utf8"))

    def flush(self) -> int:
        self.file.flush()
        os.fsync(self.file.fileno())
        return self.file.tell()

    def close(self) -> None:
        self.file.close()


class DocBinShardWriter:
    """DocBin shards of at most `shard_size` docs: a DocBin is one in-memory
    blob, so a new one starts every `shard_size` docs. A shard is written
    (atomically) when full or at a checkpoint, and rewritten until full."""

    def __init__(self, directory: Path, shard_size: int, shard_index: int, docs_in_shard: int, vocab):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.shard_size = shard_size
        self.index = shard_index
        self.docbin = DocBin(store_user_data=True)
        # Resume: keep the checkpointed docs of the current shard, drop any
        # shard written after the checkpoint.
        path = self._path(shard_index)
        if path.exists() and docs_in_shard:
            old = list(DocBin().from_disk(path).get_docs(vocab))[:docs_in_shard]
            for doc in old:
                self.docbin.add(doc)
        for later in directory.glob("part-*.spacy"):
            if int(later.stem.split("-")[1]) > shard_index or (later == path and not docs_in_shard):
                later.unlink()

    @property
    def docs_in_shard(self) -> int:
        return len(self.docbin)

    def _path(self, index: int) -> Path:
        return self.directory / f"part-{index:05d}.spacy"

    def write(self, docs: List[Doc]) -> None:
        for doc in docs:
            self.docbin.add(doc)
            if len(self.docbin) >= self.shard_size:
                self._write()
                self.index += 1
                self.docbin = DocBin(store_user_data=True)

    def _write(self) -> None:
        path = self._path(self.index)
        tmp = path.with_suffix(".tmp")
        self.docbin.to_disk(tmp)
        os.replace(tmp, path)

    def flush(self) -> int:
        if len(self.docbin):
            self._write()
        return self.index

    def close(self) -> None:
        self.flush()
