"""The package needs only its install_requires: pytorch-crf and seqeval serve the
tests, the project's scripts and the benchmarks (setup.py's extras)."""
import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import spacy_bilstm_crf

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(spacy_bilstm_crf.__file__).parent
EXTRAS_ONLY = ("torchcrf", "seqeval")


def _imported_modules(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def test_no_package_module_imports_an_extra():
    found = [
        (path.relative_to(PACKAGE).as_posix(), name)
        for path in sorted(PACKAGE.rglob("*.py"))
        for name in _imported_modules(path)
        if name.split(".")[0] in EXTRAS_ONLY
    ]
    assert found == []


def test_extras_are_not_install_requires():
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf8"))
    setup_call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "setup")
    install = next(k.value for k in setup_call.keywords if k.arg == "install_requires")
    requires = [elt.value for elt in install.elts]
    assert not [r for r in requires if r.startswith(("pytorch-crf", "seqeval"))]
    requirements = (ROOT / "requirements.txt").read_text(encoding="utf8")
    # The README's commands install requirements.txt: it still brings what tests and project need.
    assert "pytorch-crf==" in requirements and "seqeval==" in requirements


def test_the_package_imports_and_loads_a_pipeline_without_the_extras():
    modules = sorted(m.name for m in pkgutil.walk_packages([str(PACKAGE)], "spacy_bilstm_crf."))
    blocked = {name: None for name in EXTRAS_ONLY}
    code = (
        "import sys\n"
        f"sys.modules.update({blocked!r})\n"
        "import importlib, spacy\n"
        f"for name in {[m for m in modules if 'ray_engine' not in m]!r}:\n"
        "    importlib.import_module(name)\n"
        f"nlp = spacy.load({str(ROOT / 'tests' / 'fixtures' / 'compat_pipeline_v1' / 'bilstm_crf')!r})\n"
        "print([e.label_ for e in nlp('Shaka Khan visited London.').ents])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "['PERSON', 'LOC']"
