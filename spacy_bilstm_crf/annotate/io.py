"""Input records and output lines of `annotate`.

Input is plain text (one document per line) or JSONL (an object per line with
a string `text` field; other fields are passed through, written back as the
JSON text they were read as: `1e-400`, `-0` or `12345678901234567890.5` stay
so). Every input line is accounted for: annotated, or rejected with its line
number and the reason, whatever went wrong with it (bad UTF-8 or JSON, a
repeated key, wrong types, a lone surrogate, a non-finite number, a line
longer than `max_line_bytes`, which is never held in memory whole). The reader hashes what it consumes, so a checkpoint can be
bound to the exact input prefix it describes.
"""
import hashlib
import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple, Union

import srsly
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
    # The JSON text of each field as read, written back as is (None: write
    # the parsed value, e.g. after a non-finite number was set to null).
    raw_fields: Dict[str, Optional[str]] = field(default_factory=dict)


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
    path: Path, *, start: Optional[Position] = None, max_line_bytes: int, size: Optional[int] = None
) -> Iterator[Tuple[int, bytes, bool, Position]]:
    """(line number, bytes without the line end, whether the line was longer
    than `max_line_bytes` (then only its head is given), position after it).

    `size`: read the first `size` bytes only (the input's size when the job
    started: what is appended later is left for a re-run). A last line
    without a line end is given only if the file still ends there: if it
    has grown, the line was still being written, and it is left unread."""
    position = start or Position()
    number, offset, digest = position.lines, position.offset, position.digest.copy()
    limit = max_line_bytes + 2  # room for "\r\n"
    with Path(path).open("rb") as f:
        f.seek(offset)
        while True:
            raw = _read_line(f, limit, offset, size)
            if not raw or _cut(f, offset + len(raw), raw, size):
                return
            end = offset + len(raw)
            digest.update(raw)  # a line cut below returns: the digest is then unused
            too_long = not raw.endswith(b"\n") and len(raw) == limit
            while too_long:  # skip the rest of the line without holding it
                rest = _read_line(f, READ_CHUNK, end, size)
                if rest and _cut(f, end + len(rest), rest, size):
                    return
                end += len(rest)
                digest.update(rest)
                if not rest or rest.endswith(b"\n"):
                    break
            number, offset = number + 1, end
            content = raw.rstrip(b"\r\n") if not too_long else raw[:RAW_KEPT_OF_LONG_LINES]
            if len(content) > max_line_bytes:
                too_long, content = True, content[:RAW_KEPT_OF_LONG_LINES]
            yield number, content, too_long, Position(number, offset, digest.copy())


def _read_line(f, n: int, offset: int, size: Optional[int]) -> bytes:
    """At most `n` bytes of the line at `offset`, never past `size`."""
    if size is not None:
        n = min(n, size - offset)
    return f.readline(n) if n > 0 else b""


def _cut(f, end: int, chunk: bytes, size: Optional[int]) -> bool:
    """Whether a chunk that ends at `end` without a line end stops at the
    size limit inside a line that the file has since grown beyond."""
    return size is not None and end == size and not chunk.endswith(b"\n") and os.fstat(f.fileno()).st_size > size


def read_records(
    path: Path,
    input_format: str,
    *,
    start: Optional[Position] = None,
    max_line_bytes: int = 16 * 1024 * 1024,
    non_finite: str = "reject",
    size: Optional[int] = None,
) -> Iterator[Item]:
    """Records and rejects, in input order, from `start` on, up to `size`
    bytes (see `read_lines`)."""
    for number, content, too_long, end in read_lines(path, start=start, max_line_bytes=max_line_bytes, size=size):
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
        pairs = object_fields(raw)
    except ValueError as err:
        raise ValueError(f"not a JSON line ({err})") from None
    if pairs is None or not any(key == "text" and isinstance(value, str) for key, value, _ in pairs):
        raise ValueError("expected a JSON object with a string field 'text'")
    fields: Dict[str, Any] = {}
    raw_fields: Dict[str, Optional[str]] = {}
    nulled = 0
    for key, value, text in pairs:
        if key in fields or key in raw_fields:
            raise ValueError(f"duplicate key '{key}' in the JSON object: which value is meant is unclear")
        one = {key: value}
        n = check_values(one, non_finite)
        nulled += n
        fields[key], raw_fields[key] = one[key], (None if n else text)
    text = fields.pop("text")
    del raw_fields["text"]
    return Record(number, text, fields, raw, end, nulled, raw_fields)


def _unique_pairs(pairs: List[Tuple[str, Any]]) -> Dict[str, Any]:
    """object_pairs_hook: a nested JSON object, refusing repeated keys."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set = set()
        key = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise ValueError(f"duplicate key '{key}' in a JSON object: which value is meant is unclear")
    return obj


_DECODER = json.JSONDecoder(object_pairs_hook=_unique_pairs)
_SPACE = re.compile(r"[ \t\n\r]*")


def object_fields(raw: str) -> Optional[List[Tuple[str, Any, str]]]:
    """The top-level fields of the JSON object `raw` as (key, value, the
    value's JSON text as written), in order, repeated keys included; None if
    `raw` is JSON but not an object; ValueError if it is not JSON (or a
    nested object repeats a key)."""
    i = _SPACE.match(raw, 0).end()
    if raw[i:i + 1] != "{":
        json.loads(raw)  # the JSON error, if any
        return None
    pairs: List[Tuple[str, Any, str]] = []
    i = _SPACE.match(raw, i + 1).end()
    closing = raw[i:i + 1] == "}"
    i += closing
    while not closing:
        if raw[i:i + 1] != '"':
            raise json.JSONDecodeError("Expecting property name enclosed in double quotes", raw, i)
        key, i = json.decoder.scanstring(raw, i + 1)
        i = _SPACE.match(raw, i).end()
        if raw[i:i + 1] != ":":
            raise json.JSONDecodeError("Expecting ':' delimiter", raw, i)
        i = _SPACE.match(raw, i + 1).end()
        try:
            value, end = _DECODER.scan_once(raw, i)
        except StopIteration as err:
            raise json.JSONDecodeError("Expecting value", raw, err.value) from None
        pairs.append((key, value, raw[i:end]))
        i = _SPACE.match(raw, end).end()
        if raw[i:i + 1] not in (",", "}"):
            raise json.JSONDecodeError("Expecting ',' delimiter", raw, i)
        closing = raw[i] == "}"
        i = _SPACE.match(raw, i + 1).end()
    if _SPACE.match(raw, i).end() != len(raw):
        raise json.JSONDecodeError("Extra data", raw, i)
    return pairs


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


def check_docbin_storable(user_data: Dict[Any, Any]) -> None:
    """ValueError (the line's reject reason) if a DocBin cannot store a doc's
    user data: msgpack refuses e.g. an integer of 2**64 or more."""
    try:
        srsly.msgpack_dumps(user_data)
    except Exception as err:  # noqa: BLE001 -- whatever msgpack refuses, only this line is rejected
        raise ValueError(f"a field cannot be stored in a DocBin ({reason(err)}); "
                         "--output-format jsonl keeps it") from None


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


def docbin_doc(doc: Doc, record: Record) -> Doc:
    """`doc` as DocBin output stores it, on either engine: the input line
    number and the record's other fields in its user data."""
    doc.user_data["line"] = record.line
    doc.user_data["fields"] = record.fields
    return doc


def render_json(doc: Doc, record: Record, spans_key: Optional[str], names: OutputFields,
                extend: Optional[Callable[[Dict[str, Any], Doc], Dict[str, Any]]] = None) -> bytes:
    """One output line, RFC 8259 JSON in UTF-8, or ValueError (e.g. a
    non-finite score) for the record to be rejected instead. `extend` adds
    fields to the record (the n-best analyses, the uncertainty)."""
    obj = doc_to_json(doc, record, spans_key, names)
    if extend is not None:
        obj = extend(obj, doc)
    try:
        parts = [f"{_dump(key)}: {record.raw_fields.get(key) or _dump(value)}" for key, value in obj.items()]
        return ("{" + ", ".join(parts) + "}\n").encode("utf8")
    except (ValueError, UnicodeEncodeError) as err:
        raise ValueError(f"output not writable as JSON: {reason(err)}") from None


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False)
