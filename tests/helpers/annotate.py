"""Helpers of the annotate tests: one tiny trained pipeline per session (saved
once, shared by every test module), corpora and readers."""
import json
from pathlib import Path
from typing import Dict, List

import pytest
import spacy
from spacy.language import Language
from spacy.pipeline import TrainablePipe
from thinc.api import Model

from helpers.ner import ARCHS, TRAIN_DATA, train_nlp

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


def assert_same_records(rows_a: List[dict], rows_b: List[dict]) -> None:
    """Identical records, entities and order; scores equal up to float32
    noise from different batch make-up."""
    assert len(rows_a) == len(rows_b)
    for a, b in zip(rows_a, rows_b):
        a, b = json.loads(json.dumps(a)), json.loads(json.dumps(b))
        scores_a = [e.pop("score") for e in a["entities"]]
        scores_b = [e.pop("score") for e in b["entities"]]
        assert a == b
        assert scores_a == pytest.approx(scores_b, abs=1e-4)


class BombPipe(TrainablePipe):
    """A trainable pipe that fails on the docs holding `cfg["trigger"]` (every
    doc when it is empty), as a broken component would: spaCy's
    TrainablePipe hands the error to the error handler and returns None."""

    def __init__(self, vocab, model, name: str, trigger: str) -> None:
        self.vocab, self.model, self.name = vocab, model, name
        self.cfg = {"trigger": trigger}

    def predict(self, docs):
        for doc in docs:
            if self.cfg["trigger"] in doc.text:
                raise RuntimeError(f"boom from {self.name} on purpose")
        return None

    def set_annotations(self, docs, scores) -> None:
        pass


@Language.factory("annotate_test_bomb_pipe", default_config={"trigger": "BOMB"})
def make_bomb_pipe(nlp: Language, name: str, trigger: str) -> BombPipe:
    return BombPipe(nlp.vocab, Model("noop", lambda model, X, is_train: (X, lambda d: d)), name, trigger)


def model_with_bomb(tmp_path_factory, trigger: str) -> Path:
    """The trained pipeline with a `BombPipe` after it, on disk, once per trigger."""
    key = f"bomb:{trigger}"
    if key not in _CACHE:
        nlp = spacy.load(trained_model(tmp_path_factory))
        nlp.add_pipe("annotate_test_bomb_pipe", config={"trigger": trigger})
        path = tmp_path_factory.mktemp("bomb-pipe")
        nlp.to_disk(path)
        _CACHE[key] = path
    return _CACHE[key]
