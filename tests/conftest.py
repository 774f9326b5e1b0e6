"""Shared fixtures. Helpers are the `helpers` package beside this file
(helpers.ner, helpers.annotate), importable from every test folder through
setup.cfg's `pythonpath`.

Every test runs torch on one thread, and so does every process a test starts
(they inherit the environment): the tests' models are tiny, and a second
OpenMP thread that waits for a busy core (another test process under
pytest-xdist, or any other job) made a two-step `spacy train` twice as slow.
Set before the first import of torch."""
import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import pytest  # noqa: E402

from helpers.ner import ARCHS, train_nlp  # noqa: E402


@pytest.fixture(scope="session", params=ARCHS)
def trained(request):
    """(arch, nlp) trained on TRAIN_DATA until it fits, once per session."""
    n_iter = 150 if request.param == "spacy-bilstm-crf.BiLSTMLSTMTagger.v1" else 80
    nlp, history = train_nlp(request.param, n_iter=n_iter, width=32)
    return request.param, nlp, history


# The longest modules first (each a chain of `spacy train` or `annotate`
# processes, minutes): under the README's `-n 2` (pytest-xdist, whole modules
# per worker: setup.cfg's `--dist loadscope`), each then starts at once on its
# own worker instead of last, while the other worker takes the many short ones.
LONGEST_FIRST = ("tests/test_project.py", "tests/annotate/test_faults.py")


def pytest_collection_modifyitems(config, items):
    def rank(item) -> int:
        path = item.nodeid.split("::")[0]
        return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: every module keeps its own order
