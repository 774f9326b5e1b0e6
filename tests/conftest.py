"""Shared fixtures (helpers live in ner_helpers.py: conftest names collide)."""
import pytest

from ner_helpers import ARCHS, train_nlp


@pytest.fixture(scope="session", params=ARCHS)
def trained(request):
    """(arch, nlp) trained on TRAIN_DATA until it fits, once per session."""
    n_iter = 150 if request.param == "spacy-bilstm-crf.BiLSTMLSTMTagger.v1" else 80
    nlp, history = train_nlp(request.param, n_iter=n_iter, width=32)
    return request.param, nlp, history
