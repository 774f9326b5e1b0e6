"""What a tagger's model outputs, its head: one type, checked in one way.

The architecture stores it in `model.attrs["head"]` as the plain string value
("softmax", "crf"), so pipelines saved before this type existed load unchanged
and a saved model never holds a Python enum.
"""
from enum import Enum

from thinc.api import Model


class Head(str, Enum):
    SOFTMAX = "softmax"  # per-token probabilities (BiLSTM, BiLSTM-LSTM)
    CRF = "crf"  # emission scores, with the CRF's parameters in the "crf" layer


def set_head(model: Model, head: Head) -> None:
    model.attrs["head"] = Head(head).value


def head_of(model: Model) -> Head:
    """The model's head (ValueError for an unknown value)."""
    return Head(model.attrs["head"])
