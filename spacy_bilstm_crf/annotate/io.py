"""Input records and output lines of `annotate`.

Input is plain text (one document per line) or JSONL (an object per line with
a string `text` field; other fields are passed through). Every input line is
accounted for: annotated, or rejected with its line number and the reason,
whatever went wrong with it (bad UTF-8 or JSON, wrong types, a lone surrogate,
a non-finite number, a line longer than `max_line_bytes`, which is never held
in memory whole). The reader hashes what it consumes, so a checkpoint can be
bound to the exact input prefix it describes.
"""
import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple, Union

from spacy.tokens import Doc


READ_CHUNK = 1 << 20
RAW_KEPT_OF_LONG_LINES = 1000  # bytes of a too-long line kept in its reject
ERROR_CHARS = 1000  # an error message in a reject is cut to this length


@dataclass
class Position:
    """How much of the input is consumed: lines, bytes, and the hash of those bytes."""
    lines: int = 0
    offset: int = 0
    digest: Any = field(default_factory=hashlib.sha256)

    def state(self) -> Dict[str, Any]:
        return {"lines": self.lines, "bytes": self.offset, "sha256": self.digest.hexdigest()}


@dataclass
class Record:
    line: int  # 1-based input line number
    text: str
    fields: Dict[str, Any]
    raw: str = ""
    end: Optional[Position] = None  # the input consumed up to the end of this line
    nulled: int = 0  # non-finite numbers written as null


@dataclass
class Reject:
    line: int
    error: str
    raw: str
    end: Optional[Position] = None
    truncated: bool = False

    def to_bytes(self) -> bytes:
        obj: Dict[str, Any] = {"line": self.line, "error": self.error[:ERROR_CHARS], "raw": self.raw}
        if self.truncated:
            obj["raw_truncated"] = True
        try:
            return (json.dumps(obj, ensure_ascii=False) + "\n").encode("utf8")
        except UnicodeEncodeError:  # a lone surrogate quoted in an error message
            return (json.dumps(obj) + "\n").encode("utf8")


Item = Union[Record, Reject]


def reason(err: BaseException) -> str:
    """An exception as a one-line reject reason."""
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text}"[:ERROR_CHARS]


def read_lines(
    path: Path, *, start: Optional[Position] = None, max_line_bytes: int
) -> Iterator[Tuple[int, bytes, bool, Position]]:
    """(line number, bytes without the line end, whether the line was longer
    than `max_line_bytes` (then only its head is given), position after it)."""
    position = start or Position()
    number, offset, digest = position.lines, position.offset, position.digest.copy()
    limit = max_line_bytes + 2  # room for "\r\n"
    with Path(path).open("rb") as f:
        f.seek(offset)
        while True:
            raw = f.readline(limit)
            if not raw:
                return
            number += 1
            offset += len(raw)
            digest.update(raw)
            too_long = False
            if not raw.endswith(b"\n") and len(raw) == limit:
                too_long = True
                while True:  # skip the rest of the line without holding it
                    rest = f.readline(READ_CHUNK)
                    offset += len(rest)
                    digest.update(rest)
                    if not rest or rest.endswith(b"\n"):
                        break
            content = raw.rstrip(b"\r\n") if not too_long else raw[:RAW_KEPT_OF_LONG_LINES]
            if len(content) > max_line_bytes:
                too_long, content = True, content[:RAW_KEPT_OF_LONG_LINES]
            yield number, content, too_long, Position(number, offset, digest.copy())


def read_records(
    path: Path,
    input_format: str,
    *,
    start: Optional[Position] = None,
    max_line_bytes: int = 16 * 1024 * 1024,
    non_finite: str = "reject",
) -> Iterator[Item]:
    """Records and rejects, in input order, from `start` on."""
    for number, content, too_long, end in read_lines(path, start=start, max_line_bytes=max_line_bytes):
        if too_long:
            yield Reject(number, f"line longer than --max-line-bytes ({max_line_bytes:,} bytes)",
                         content.decode("utf8", "replace"), end, truncated=True)
            continue
        try:
            raw = content.decode("utf8")
        except UnicodeDecodeError as err:
            yield Reject(number, f"not valid UTF-8 ({err})", content.decode("utf8", "replace"), end)
            continue
        try:
            yield parse_line(number, raw, input_format, non_finite, end)
        except Exception as err:  # noqa: BLE001 -- whatever is wrong with one line, the job goes on
            yield Reject(number, str(err) if isinstance(err, ValueError) else reason(err), raw, end)


def parse_line(number: int, raw: str, input_format: str, non_finite: str, end: Optional[Position]) -> Record:
    """A record, or ValueError saying what is wrong with the line."""
    if input_format == "text":
        return Record(number, raw, {}, raw, end)
    try:
        obj = json.loads(raw)
    except ValueError as err:
        raise ValueError(f"not a JSON line ({err})") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
        raise ValueError("expected a JSON object with a string field 'text'")
    nulled = check_values(obj, non_finite)
    text = obj.pop("text")
    return Record(number, text, obj, raw, end, nulled)


def check_values(obj: Any, non_finite: str) -> int:
    """Make `obj` writable as RFC 8259 JSON in UTF-8: refuse lone surrogates;
    refuse non-finite numbers (NaN, Infinity, 1e999), or set them to null
    with `non_finite="null"`, returning how many. Iterative: any depth."""
    nulled = 0
    stack: List[Tuple[str, Any]] = [("", obj)]
    while stack:
        where, node = stack.pop()
        entries = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in list(entries):
            name = f"{where}.{key}" if where else str(key)
            if isinstance(key, str):
                _check_string(key, f"the key '{name}'")
            if isinstance(value, float) and not math.isfinite(value):
                if non_finite != "null":
                    raise ValueError(f"non-finite number {value} in field '{name}' is not JSON "
                                     "(--non-finite null writes it as null)")
                node[key] = None
                nulled += 1
            elif isinstance(value, str):
                _check_string(value, f"field '{name}'")
            elif isinstance(value, (dict, list)):
                stack.append((name, value))
    return nulled


def _check_string(value: str, where: str) -> None:
    if not value.isascii():
        try:
            value.encode("utf8")
        except UnicodeEncodeError as err:
            raise ValueError(f"lone surrogate in {where} at position {err.start}: not encodable as UTF-8") from None


# Logical names of the fields annotate adds to each record; the output name of
# each is `--field-prefix` + the logical name. Add new output fields here.
OUTPUT_KEYS: Tuple[str, ...] = ("line", "entities")


@dataclass(frozen=True)
class OutputFields:
    """Names of the fields annotate writes next to the user's fields."""
    prefix: str = ""
    extra: Tuple[str, ...] = ()  # fields of the analyses asked for (nbest, uncertainty)

    def name(self, key: str) -> str:
        return self.prefix + key

    def reserved(self) -> List[str]:
        return [self.name(key) for key in OUTPUT_KEYS + self.extra]


def collision(fields: Dict[str, Any], names: OutputFields) -> Optional[str]:
    """The first user field an output field would overwrite, if any."""
    return next((n for n in names.reserved() if n in fields), None)


def doc_to_json(doc: Doc, record: Record, spans_key: Optional[str], names: OutputFields = OutputFields()) -> Dict[str, Any]:
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
    name = collision(record.fields, names)
    if name is not None:
        raise ValueError(f"the input field '{name}' would be overwritten by an output field (see --field-prefix)")
    out = dict(record.fields)
    out.update({names.name("line"): record.line, "text": record.text, names.name("entities"): ents})
    return out


def render_json(doc: Doc, record: Record, spans_key: Optional[str], names: OutputFields,
                extend: Optional[Callable[[Dict[str, Any], Doc], Dict[str, Any]]] = None) -> bytes:
    """One output line, RFC 8259 JSON in UTF-8, or ValueError (e.g. a
    non-finite score) for the record to be rejected instead. `extend` adds
    fields to the record (the n-best analyses, the uncertainty)."""
    obj = doc_to_json(doc, record, spans_key, names)
    if extend is not None:
        obj = extend(obj, doc)
    try:
        return (json.dumps(obj, ensure_ascii=False, allow_nan=False) + "\n").encode("utf8")
    except (ValueError, UnicodeEncodeError) as err:
        raise ValueError(f"output not writable as JSON: {reason(err)}") from None
