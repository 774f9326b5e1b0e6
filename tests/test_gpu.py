"""The component on a GPU (thinc's CupyOps, torch on CUDA): training, prediction,
and pipelines moved between devices. Marked `gpu`: skipped where no CUDA GPU
with CuPy is present (CI); `benchmarks/gpu_check.sh` runs them on a GPU machine."""
import pytest
import spacy
from thinc.api import NumpyOps, set_current_ops
from thinc.util import has_cupy_gpu, has_torch_cuda_gpu

from helpers.ner import ARCHS, TRAIN_DATA, train_nlp

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not (has_cupy_gpu and has_torch_cuda_gpu), reason="needs a CUDA GPU with CuPy and torch"),
]

TEXTS = [text for text, _ in TRAIN_DATA] + ["", "Berlin", "Shaka Khan and Zoë Müller like London and Zürich."]


def _ents(nlp):
    return [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in nlp.pipe(TEXTS)]


@pytest.fixture
def on_gpu():
    spacy.require_gpu(0)
    yield
    set_current_ops(NumpyOps())


@pytest.mark.parametrize("arch", ARCHS)
def test_trains_and_predicts_on_gpu(on_gpu, arch):
    import cupy

    nlp, history = train_nlp(arch, n_iter=150 if "LSTMLSTM" in arch else 80)
    ner = nlp.get_pipe("bilstm_crf_ner")
    assert isinstance(ner.model.ops.xp.zeros(1), cupy.ndarray)
    assert history[-1] < history[0] / 10
    gold = [[(s, e, label) for s, e, label in ents] for _, ents in TRAIN_DATA]
    assert _ents(nlp)[: len(TRAIN_DATA)] == gold
    scored = list(nlp.pipe(TEXTS))[0].spans["ents_scored"]
    assert all(0.0 <= float(p) <= 1.0 for p in scored.attrs["scores"])


@pytest.mark.parametrize("arch", ARCHS)
def test_saved_on_gpu_loads_on_cpu_and_back(tmp_path, arch):
    spacy.require_gpu(0)
    try:
        nlp, _ = train_nlp(arch, n_iter=150 if "LSTMLSTM" in arch else 80)
        on_gpu = _ents(nlp)
        nlp.to_disk(tmp_path / "gpu")
    finally:
        set_current_ops(NumpyOps())
    cpu_nlp = spacy.load(tmp_path / "gpu")
    assert _ents(cpu_nlp) == on_gpu
    cpu_nlp.to_disk(tmp_path / "cpu")
    spacy.require_gpu(0)
    try:
        assert _ents(spacy.load(tmp_path / "cpu")) == on_gpu
    finally:
        set_current_ops(NumpyOps())
