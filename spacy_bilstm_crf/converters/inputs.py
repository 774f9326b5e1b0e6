"""Reading a converter's input: the whole text with a useful decode error,
blank lines, token checks and a progress counter for long inputs.

Readers parse the whole input before anything is written (outputs.py), so a
bad input never leaves a partial `.spacy` file behind.
"""
import sys
import unicodedata
from pathlib import Path
from typing import Dict, Optional

from .report import ConversionError, PathLike, add_oddity


BOM = "UTF-8 byte-order mark (stripped)"
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Only these make a line blank: a line of non-breaking spaces is not a break.
BLANK_CHARS = " \t"


def is_blank_line(line: str) -> bool:
    return not line.strip(BLANK_CHARS)


def read_text(path: PathLike, encoding: str, oddities: Optional[Dict[str, int]] = None) -> str:
    """Decode a whole file; a decode error names the line and the encoding.

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
    if data.startswith(UTF16_BOMS) and not encoding.lower().replace("-", "").startswith("utf16"):
        raise ConversionError(path, 1, f"the file starts with a UTF-16 byte-order mark: pass --encoding utf-16 "
                                       f"(read as {encoding})")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        byte = data[err.start : err.start + 1]
        raise ConversionError(
            path,
            line,
            f"byte 0x{byte.hex()} at offset {err.start} cannot be decoded as "
            f"{encoding} ({err.reason}); pass the file's encoding",
        ) from None
    except LookupError:
        raise ConversionError(path, None, f"unknown encoding {encoding!r}") from None
    if text.startswith("\ufeff"):  # a BOM in another encoding (utf-16, utf-8-sig read as utf-8 twice)
        text = text[1:]
        if oddities is not None:
            add_oddity(oddities, BOM)
    nul = text.find("\x00")
    if nul >= 0:
        raise ConversionError(
            path, text.count("\n", 0, nul) + 1,
            f"NUL character in the text (read as {encoding}): a binary or UTF-16 file? pass its encoding",
        )
    if not text.strip():
        raise ConversionError(path, 1, "empty file: expected at least one token line")
    return text


def token_problem(token: str) -> str:
    """Why `token` cannot be a token as is, or "" when it can: tokens have no
    whitespace (ASCII or Unicode) and no control characters."""
    if not token:
        return "empty token"
    bad = next((c for c in token if c.isspace() or unicodedata.category(c) == "Cc"), None)
    if bad is not None:
        return f"token {token!r} contains {unicodedata.name(bad, 'a control character')} ({bad!r})"
    return ""


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
