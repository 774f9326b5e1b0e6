"""Fixtures for the converter tests: the real corpora (when present) and small
files reproducing their quirks, written per test into tmp_path."""
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    """SPACY_BILSTM_CRF_DATA, else ../shared/data beside the checkout."""
    env = os.environ.get("SPACY_BILSTM_CRF_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def data() -> Path:
    path = data_dir()
    if not (path / "README.md").exists():
        pytest.skip(f"real corpora not found at {path} (set SPACY_BILSTM_CRF_DATA)")
    return path


def read_tag_column(path: Path, sep: str, encoding: str = "utf-8"):
    """Sentences of the last column of a column file (-DOCSTART- skipped)."""
    sentences, current = [], []
    for line in path.read_text(encoding=encoding).split("\n"):
        line = line.rstrip("\r")
        if not line.strip():
            if current:
                sentences.append(current)
                current = []
        elif line.split(sep, 1)[0] != "-DOCSTART-":
            current.append(line.split(sep)[-1])
    if current:
        sentences.append(current)
    return sentences


@pytest.fixture(scope="session")
def tag_column():
    return read_tag_column


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO
