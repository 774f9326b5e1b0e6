"""One error system: every code lives in spacy_bilstm_crf/errors.py, once, and
the package raises no bare message (issue 16)."""
import ast
import dataclasses
import inspect
import re
from pathlib import Path

import pytest
import spacy

import spacy_bilstm_crf
from spacy_bilstm_crf.errors import Errors, Warnings
from spacy_bilstm_crf.readers import oversampling

PACKAGE = Path(spacy_bilstm_crf.__file__).parent
# Per-line / per-file reasons that are caught and put into a coded error
# (annotate: E309, E311, E313 or the rejects file; annotate/writers.py's
# `refuse` makes an E311). Converters raise ConversionError, which names the
# file and the line of the bad input.
REASON_MODULES = {"annotate/checkpoint.py", "annotate/io.py"}


def test_codes_are_unique_and_well_formed():
    for enum, letter in ((Errors, "E"), (Warnings, "W")):
        # Two members with the same message would silently become one (an Enum alias).
        assert len(enum.__members__) == len(list(enum))
        for name, member in enum.__members__.items():
            assert re.fullmatch(letter + r"\d{3}", name)
            assert member.format(**_dummy_args(member.value)).startswith(f"[{name}] ")


def _dummy_args(template: str):
    names = {m.split("!")[0].split(":")[0] for m in re.findall(r"(?<!\{)\{([^{}]+)\}(?!\})", template)}
    return {n: "x" for n in names}


def test_the_reader_uses_the_package_errors():
    assert oversampling.Errors is Errors and oversampling.Warnings is Warnings
    assert not hasattr(oversampling, "Enum")


def test_no_bare_message_is_raised():
    bare = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel in REASON_MODULES:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
                name = getattr(node.exc.func, "id", None)
                first = node.exc.args[0]
                if name not in ("ConversionError", "refuse") and isinstance(first, (ast.Constant, ast.JoinedStr)):
                    bare.append(f"{rel}:{node.lineno}")
    assert bare == []


def test_add_label_refuses_a_non_string():
    ner = spacy.blank("en").add_pipe("bilstm_crf_ner")
    with pytest.raises(ValueError, match=r"^\[E400\] Only strings can be added as labels, not 1\.$"):
        ner.add_label(1)


def test_reader_settings_are_declared_once():
    names = [f.name for f in dataclasses.fields(oversampling.OversamplingSettings)]
    params = inspect.signature(oversampling.create_oversampling_corpus).parameters
    assert list(params) == names
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params.values())
    assert params["path"].default is inspect.Parameter.empty
    assert params["max_copies"].default == 10 and params["unshuffled_head"].default == 100
