"""The user docs hold together: every relative Markdown link in README.md,
docs/ and the lab notes resolves to a file of the repository (and to a heading,
where it names an anchor), the error-code table is what the code raises, and no
user page speaks of the project's work history."""
import importlib.util
import re
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

import pytest

REPO = Path(__file__).resolve().parent.parent
USER_PAGES = [REPO / "README.md"] + sorted((REPO / "docs").rglob("*.md"))
NOTES = sorted((REPO / "benchmarks" / "results" / "notes").glob("*.md"))

FENCE = re.compile(r"^ {0,3}(```|~~~).*?^ {0,3}\1[^\n]*$", re.M | re.S)
CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.S)
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^\s)>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$", re.M)
HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$", re.M)
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)


def prose(text: str) -> str:
    """The text without fenced code blocks and code spans (a path or a
    `# comment` in code is no link and no heading)."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def link_targets(text: str) -> Iterator[str]:
    body = prose(text)
    yield from INLINE_LINK.findall(body)
    yield from REFERENCE_DEF.findall(body)


def slugs(path: Path) -> Set[str]:
    """GitHub's anchors of a Markdown file's headings: the text as rendered,
    lower-cased, punctuation dropped, spaces to hyphens; repeats get -1, -2."""
    seen: Dict[str, int] = {}
    found = set()
    for heading in HEADING.findall(FENCE.sub("", path.read_text(encoding="utf8"))):
        text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text only
        slug = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        found.add(slug if n == 0 else f"{slug}-{n}")
    return found


def broken_links(page: Path, repo: Path = REPO) -> Tuple[List[str], int]:
    """(what is wrong with each relative link of `page`, how many it has)."""
    problems = []
    checked = 0
    for target in link_targets(page.read_text(encoding="utf8")):
        if EXTERNAL.match(target):
            continue
        checked += 1
        path_part, _, anchor = target.partition("#")
        resolved = (page.parent / path_part).resolve() if path_part else page
        if repo.resolve() not in (resolved, *resolved.parents):
            problems.append(f"{target}: leaves the repository")
        elif not resolved.exists():
            problems.append(f"{target}: no such file ({resolved.relative_to(repo.resolve())})")
        elif anchor and resolved.suffix == ".md" and anchor not in slugs(resolved):
            problems.append(f"{target}: no heading with the anchor #{anchor} in {resolved.name}")
    return problems, checked


@pytest.mark.parametrize("page", USER_PAGES + NOTES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_relative_links_resolve(page: Path):
    problems, _ = broken_links(page)
    assert not problems, f"{page.relative_to(REPO)}: " + "; ".join(problems)


def test_the_docs_are_linked_together():
    """Every docs/ page is reachable: linked from the README or another page."""
    linked = set()
    for page in USER_PAGES:
        for target in link_targets(page.read_text(encoding="utf8")):
            if not EXTERNAL.match(target) and target.partition("#")[0]:
                linked.add((page.parent / target.partition("#")[0]).resolve())
    orphans = [p.relative_to(REPO).as_posix() for p in USER_PAGES[1:] if p.resolve() not in linked]
    assert not orphans, f"linked from no page: {orphans}"
    assert sum(broken_links(p)[1] for p in USER_PAGES) >= 30


def test_checker_finds_a_missing_file_and_a_missing_anchor(tmp_path: Path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# A page\n\n## Train, load, look\n", encoding="utf8")
    page = tmp_path / "README.md"
    page.write_text(
        "[ok](docs/a.md#train-load-look) [self](#top) [web](https://example.org/x.md)\n"
        "[gone](docs/b.md) [bad anchor](docs/a.md#nowhere) `[code](not/a/link.md)`\n"
        "```\n[fenced](also/not/a/link.md)\n```\n# Top\n[out](../../outside.md)\n",
        encoding="utf8",
    )
    problems, checked = broken_links(page, repo=tmp_path)
    assert checked == 5
    assert [p.split(":")[0] for p in problems] == ["docs/b.md", "docs/a.md#nowhere", "../../outside.md"]


def test_error_table_is_current():
    """docs/reference/errors.md is what scripts/error_table.py writes from
    spacy_bilstm_crf/errors.py today."""
    spec = importlib.util.spec_from_file_location("error_table", REPO / "scripts" / "error_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    table = (REPO / "docs" / "reference" / "errors.md").read_text(encoding="utf8")
    assert table == module.render(), "docs/reference/errors.md is out of date: run python scripts/error_table.py"
    from spacy_bilstm_crf.errors import Errors

    assert all(f"| {code.name} |" in table for code in Errors)


WORK_HISTORY = re.compile(r"\b(?:issues?|sessions?|work periods?)\s*#?\d+|\bwork periods?\b|\bsessions?\s+(?:one|two)\b", re.I)


@pytest.mark.parametrize("page", USER_PAGES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_user_pages_do_not_speak_of_work_history(page: Path):
    """Issue numbers and work sessions belong in benchmarks/results/notes/, not
    in a user page (link targets aside: a results folder may carry such a name)."""
    text = re.sub(r"\]\([^)]*\)", "]()", page.read_text(encoding="utf8"))
    found = WORK_HISTORY.findall(text)
    assert not found, f"{page.relative_to(REPO)} speaks of the work history: {found}"


def test_readme_gives_the_test_command_ci_runs():
    """The README's test command is the one `.ci/run` runs, word for word."""
    ci_lines = (REPO / ".ci" / "run").read_text(encoding="utf8").splitlines()
    command = next(line for line in ci_lines if line.startswith("python3 -m venv"))
    blocks = [block.group(0) for block in FENCE.finditer((REPO / "README.md").read_text(encoding="utf8"))]
    assert any(command in block.splitlines() for block in blocks), f"README lacks: {command}"
