"""Every benchmark script (benchmarks/*.py; modules named `_*` are not scripts) and
every script project.yml runs imports and answers `--help` as its command runs it:
`python -m benchmarks.<name>`, `python -m scripts.<name>` from the repository root,
without editing sys.path (they share code as packages). Run in this process (the
imports are shared, so the whole set takes seconds)."""
import re
import runpy
import sys
import warnings
from pathlib import Path

import pytest
import srsly

REPO = Path(__file__).resolve().parents[2]
BENCHMARKS = [f"benchmarks.{path.stem}" for path in sorted((REPO / "benchmarks").glob("*.py"))
              if not path.stem.startswith("_")]
PROJECT_SCRIPTS = sorted({
    module for command in srsly.read_yaml(REPO / "project.yml")["commands"] for line in command["script"]
    for module in re.findall(r"python -m (scripts\.\w+)", line)
})
MODULES = BENCHMARKS + PROJECT_SCRIPTS


def _forget_lab_modules(names) -> None:
    """Unload what a run imported from benchmarks/ or scripts/, so that the next
    script cannot lean on a module imported by another path (e.g. `_common`)."""
    folders = {str(REPO / "benchmarks"), str(REPO / "scripts")}
    for name in names:
        path = getattr(sys.modules.get(name), "__file__", None) or ""
        if str(Path(path).parent) in folders:
            del sys.modules[name]


@pytest.mark.parametrize(
    "module",
    MODULES,
)
def test_script_answers_help(module, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", [module, "--help"])
    monkeypatch.setattr(sys, "path", list(sys.path))  # restored after the test whatever the script does
    path_before, modules_before = list(sys.path), set(sys.modules)
    try:
        with warnings.catch_warnings():
            # runpy warns when the module was imported before (another test did): it runs it afresh anyway.
            warnings.filterwarnings("ignore", message=".*found in sys.modules", category=RuntimeWarning)
            with pytest.raises(SystemExit) as exit_info:
                runpy.run_module(module, run_name="__main__", alter_sys=True)
    finally:
        _forget_lab_modules(set(sys.modules) - modules_before)
    out = capsys.readouterr().out
    assert exit_info.value.code == 0, out
    assert "Usage:" in out and "--help" in out, out
    assert sys.path == path_before, "the script edited sys.path"


def test_the_lists_come_from_the_folder_and_project_yml():
    """A new benchmark or project command is checked without editing this file; every
    project command runs a script as a module, or the package's own command line (tested with its commands)."""
    assert "benchmarks.bench_ner" in BENCHMARKS and "benchmarks.profile_memory" in BENCHMARKS
    assert {"scripts.convert", "scripts.train", "scripts.evaluate", "scripts.transfer"} <= set(PROJECT_SCRIPTS)
    lines = [line for command in srsly.read_yaml(REPO / "project.yml")["commands"] for line in command["script"]]
    assert all(line.startswith(("python -m scripts.", "python -m spacy_bilstm_crf ")) for line in lines), lines
