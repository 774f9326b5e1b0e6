"""Reading a converter's input: the whole text with a useful decode error,
blank lines, token checks and a progress counter for long inputs.

Readers parse the whole input before anything is written (outputs.py), so a
bad input never leaves a partial `.spacy` file behind.
"""
import re
import sys
import unicodedata
from pathlib import Path
from typing import Dict, Optional, Tuple

from .report import ConversionError, PathLike, Summary, add_oddity


BOM = "UTF-8 byte-order mark (stripped)"
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Only these make a line blank: a line of non-breaking spaces is not a break.
BLANK_CHARS = " \t"


def is_blank_line(line: str) -> bool:
    return not line.strip(BLANK_CHARS)


# The --encoding default: strict UTF-8 where every byte sequence is valid
# UTF-8, else cp1252 (the Kaggle GMB file's encoding).
AUTO = "auto"
FALLBACK = "cp1252"
# After the fallback: characters that were valid UTF-8 multi-byte sequences
# (or a surrogate standing for a byte that was not).
NON_ASCII_UTF8 = re.compile("[^\x00-\x7f\udc80-\udcff]")


def line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode_error(path: Path, data: bytes, err: UnicodeDecodeError, read_as: str) -> ConversionError:
    byte = data[err.start : err.start + 1]
    return ConversionError(
        path, line_of(data, err.start),
        f"byte 0x{byte.hex()} at offset {err.start} cannot be decoded as {read_as} ({err.reason}); "
        "pass the file's encoding with --encoding",
    )


def decode(path: Path, data: bytes, encoding: Optional[str]) -> Tuple[str, str, str, str]:
    """(text, encoding used, note for the summary, warning or "").

    `encoding` None or 'auto': strict UTF-8 when the bytes are valid UTF-8,
    else cp1252; a file that also holds valid UTF-8 multi-byte sequences gets
    a warning (it may be UTF-8 with damaged bytes, now read as mojibake)."""
    if encoding is not None and encoding.lower() != AUTO:
        try:
            return data.decode(encoding), encoding, f"encoding: {encoding} (--encoding)", ""
        except UnicodeDecodeError as err:
            raise decode_error(path, data, err, encoding) from None
        except LookupError:
            raise ConversionError(path, None, f"unknown encoding {encoding!r}") from None
    try:
        return data.decode("utf-8"), "utf-8", "encoding: utf-8 (default: the bytes are valid UTF-8)", ""
    except UnicodeDecodeError as first:
        where = f"byte 0x{data[first.start:first.start + 1].hex()} on line {line_of(data, first.start)}"
    try:
        text = data.decode(FALLBACK)
    except UnicodeDecodeError as err:
        raise decode_error(path, data, err, f"UTF-8 or {FALLBACK} (the default's fallback)") from None
    note = f"encoding: {FALLBACK} (default fallback: the bytes are not UTF-8, e.g. {where})"
    n_utf8 = len(NON_ASCII_UTF8.findall(data.decode("utf-8", errors="surrogateescape")))
    warning = (
        f"read as {FALLBACK}, but the file also holds {n_utf8:,} valid UTF-8 multi-byte sequence(s): "
        f"if it is UTF-8 with damaged bytes ({where}), repair it, or pass --encoding"
    ) if n_utf8 else ""
    return text, FALLBACK, note, warning


def read_input(path: PathLike, encoding: Optional[str], summary: Summary) -> str:
    """The decoded text of a converter's input, with the encoding used, its
    note and any warning recorded in `summary` (see read_text)."""
    text, summary.encoding, note, warning = read_text_as(path, encoding, summary.oddities)
    summary.notes.append(note)
    if warning:
        summary.warnings.append(warning)
    return text


def read_text(path: PathLike, encoding: Optional[str] = None, oddities: Optional[Dict[str, int]] = None) -> str:
    """The decoded text of a file (see read_text_as)."""
    return read_text_as(path, encoding, oddities)[0]


def read_text_as(
    path: PathLike, encoding: Optional[str], oddities: Optional[Dict[str, int]] = None
) -> Tuple[str, str, str, str]:
    """Decode a whole file (`decode`); a decode error names the line and the
    encoding. Returns what `decode` does.

    A UTF-8 byte-order mark is stripped (and counted in `oddities`); NUL
    characters (a UTF-16 file read as 8-bit, a binary file) are an error."""
    path = Path(path)
    if not path.is_file():
        raise ConversionError(path, None, "no such file")
    data = path.read_bytes()
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM):]
        if oddities is not None:
            add_oddity(oddities, BOM)
    read_as = encoding or AUTO
    if data.startswith(UTF16_BOMS) and not read_as.lower().replace("-", "").startswith("utf16"):
        raise ConversionError(path, 1, f"the file starts with a UTF-16 byte-order mark: pass --encoding utf-16 "
                                       f"(read as {read_as})")
    text, used, note, warning = decode(path, data, encoding)
    if text.startswith("\ufeff"):  # a BOM in another encoding (utf-16, utf-8-sig read as utf-8 twice)
        text = text[1:]
        if oddities is not None:
            add_oddity(oddities, BOM)
    nul = text.find("\x00")
    if nul >= 0:
        raise ConversionError(
            path, text.count("\n", 0, nul) + 1,
            f"NUL character in the text (read as {used}): a binary or UTF-16 file? pass its encoding",
        )
    if not text.strip():
        raise ConversionError(path, 1, "empty file: expected at least one token line")
    return text, used, note, warning


# What a token may not hold: C0 control characters (tab and line feed among
# them) and the line breaks outside C0 that str.splitlines() splits on.
# Everything else, NO-BREAK SPACE and the other Unicode spaces included, is
# data: spaCy tokens may hold it and the source has it.
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
BAD_TOKEN_CHAR = re.compile("[\x00-\x1f\x85\u2028\u2029]")


def token_problem(token: str) -> str:
    """Why `token` cannot be a token as is, or "" when it can. The one token
    check of every converter: a token is not empty and holds no tab, line
    break or other C0 control character; all else is kept exactly."""
    if not token:
        return "empty token"
    bad = BAD_TOKEN_CHAR.search(token)
    if bad is None:
        return ""
    char = bad.group()
    if char == "\t":
        what = "a tab"
    elif char in LINE_BREAKS:
        what = f"a line break ({unicodedata.name(char, 'NEXT LINE')})" if char > "\x7f" else "a line break"
    else:
        what = "a control character"
    return f"token {token!r} contains {what} ({char!r}): a token may not hold a tab, line break or control character"


class LineProgress:
    """Prints a line counter to stderr every `every` lines, for long inputs."""

    def __init__(self, label: str, every: int = 100_000, enabled: bool = True) -> None:
        self.label = label
        self.every = every
        self.enabled = enabled
        self.next_at = every

    def __call__(self, n_lines: int) -> None:
        if self.enabled and n_lines >= self.next_at:
            print(f"  {self.label}: {n_lines:,} lines read", file=sys.stderr, flush=True)
            self.next_at = (n_lines // self.every + 1) * self.every
