"""Write docs/reference/errors.md: every error and warning code of
spacy_bilstm_crf/errors.py, its message and the modules that raise it.

Generated rather than written by hand so that the table cannot drift from the
code: tests/test_docs_links.py fails when the file is not what this script
writes. After adding or changing a code, run

    python -m scripts.error_table            # rewrite the table
    python -m scripts.error_table --check    # exit 1 if it is out of date
"""
import re
import sys
from enum import Enum
from pathlib import Path
from typing import Dict, List, Set, Type

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "spacy_bilstm_crf"
OUTPUT = REPO / "docs" / "reference" / "errors.md"

HEADER = """# Error and warning codes

Every error the package raises on bad input or settings carries a code, e.g.
`[E006] Architecture 'spacy-bilstm-crf.BiLSTMCRFTagger.v3' got depth=-1, expected an integer >= 0.`
The words in braces are filled in with the file, line, setting or value at fault. Codes are stable: a
message may be reworded, its code stays.

This page is generated from `spacy_bilstm_crf/errors.py` by `python -m scripts.error_table`; do not edit it by
hand.
"""


def raised_in(package: Path) -> Dict[str, Set[str]]:
    """Code name -> the package modules (relative paths) that use it."""
    found: Dict[str, Set[str]] = {}
    for path in sorted(package.rglob("*.py")):
        if path.name == "errors.py" and path.parent == package:
            continue
        for name in re.findall(r"\b(?:Errors|Warnings)\.([EW]\d+)\b", path.read_text(encoding="utf8")):
            found.setdefault(name, set()).add(path.relative_to(package.parent).as_posix())
    return found


def _cell(text: str) -> str:
    """A message template as one Markdown table cell: placeholders without
    their conversions (`{value!r}` -> `{value}`), literal braces unescaped,
    pipes escaped, whitespace on one line."""
    text = text.replace("{{", "\0").replace("}}", "\1")
    text = re.sub(r"\{(\w+)(?:![rsa])?(?::[^}]*)?\}", r"{\1}", text)
    text = text.replace("\0", "{").replace("\1", "}")
    return " ".join(text.split()).replace("|", "\\|")


def table(codes: Type[Enum], where: Dict[str, Set[str]]) -> List[str]:
    rows = ["| code | message | raised in |", "|---|---|---|"]
    for member in sorted(codes, key=lambda m: int(m.name[1:])):
        modules = ", ".join(f"`{m}`" for m in sorted(where.get(member.name, ()))) or "-"
        rows.append(f"| {member.name} | {_cell(member.value)} | {modules} |")
    return rows


def render() -> str:
    from spacy_bilstm_crf.errors import Errors, Warnings

    where = raised_in(PACKAGE)
    lines = [HEADER, "## Errors", ""] + table(Errors, where)
    lines += ["", "## Warnings", ""] + table(Warnings, where)
    return "\n".join(lines) + "\n"


def main(argv: List[str]) -> int:
    text = render()
    if "--check" in argv:
        current = OUTPUT.read_text(encoding="utf8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT.relative_to(REPO)} is out of date: run python -m scripts.error_table", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf8")
    print(f"wrote {OUTPUT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
