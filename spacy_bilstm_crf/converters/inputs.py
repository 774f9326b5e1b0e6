"""Reading a converter's input: the whole text with a useful decode error,
blank lines, token checks and a progress counter for long inputs.

Readers parse the whole input before anything is written (outputs.py), so a
bad input never leaves a partial `.spacy` file behind.
"""
import re
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
