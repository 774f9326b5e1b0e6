"""Helpers of the annotate tests: one tiny trained pipeline per session (saved
once, shared by every test module), corpora and readers."""
import json
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

from ner_helpers import ARCHS, TRAIN_DATA, train_nlp

_CACHE: Dict[str, Path] = {}


def trained_model(tmp_path_factory) -> Path:
    """A BiLSTM-CRF pipeline (with entity scores) trained on the toy set, on disk."""
    if "model" not in _CACHE:
        nlp, _ = train_nlp(ARCHS[2], n_iter=40)
        path = tmp_path_factory.mktemp("model")
        nlp.to_disk(path)
        _CACHE["model"] = path
    return _CACHE["model"]


def text_of(i: int) -> str:
    return TRAIN_DATA[i % len(TRAIN_DATA)][0] + f" Item {i}."


def write_lines(path: Path, lines: List[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf8")
    return path


def jsonl(path: Path, n: int) -> Path:
    return write_lines(path, [json.dumps({"id": i, "text": text_of(i)}, ensure_ascii=False) for i in range(n)])


def read(path: Path) -> List[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf8").splitlines()]


def cli(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    """`python -m spacy_bilstm_crf annotate ...` in a subprocess."""
    return subprocess.run([sys.executable, "-m", "spacy_bilstm_crf", "annotate", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)
