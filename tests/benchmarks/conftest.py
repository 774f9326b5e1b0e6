"""The shipped BC5CDR sample as train.spacy and dev.spacy, converted once for the
benchmark tests (in this process: the converter's CLI has its own tests)."""
from pathlib import Path
from typing import Dict

import pytest

from spacy_bilstm_crf.converters import convert_file

SAMPLE = Path(__file__).resolve().parents[2] / "assets" / "bc5cdr_sample"


@pytest.fixture(scope="session")
def bc5cdr_sample(tmp_path_factory) -> Dict[str, Path]:
    out = tmp_path_factory.mktemp("bc5cdr_sample")
    paths = {}
    for split in ("train", "dev"):
        paths[split] = out / f"{split}.spacy"
        convert_file(SAMPLE / f"{split}.tsv", paths[split], format="tsv")
    return paths
