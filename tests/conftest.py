"""Shared fixtures. Helpers are the `helpers` package beside this file
(helpers.ner, helpers.annotate), importable from every test folder through
setup.cfg's `pythonpath`."""
import pytest

from helpers.ner import ARCHS, train_nlp


@pytest.fixture(scope="session", params=ARCHS)
def trained(request):
    """(arch, nlp) trained on TRAIN_DATA until it fits, once per session."""
    n_iter = 150 if request.param == "spacy-bilstm-crf.BiLSTMLSTMTagger.v1" else 80
    nlp, history = train_nlp(request.param, n_iter=n_iter, width=32)
    return request.param, nlp, history
