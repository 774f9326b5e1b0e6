"""Transformer + bilstm_crf_ner pipelines (configs/transformer*.cfg) on a tiny random BERT.

Everything runs offline: a fixture writes a 2-layer, 32-wide BertModel with its
own word-level vocabulary to a temp dir, and the configs' model name is
overridden to point at it. The shipped window (128 spaCy tokens: at least 128
wordpieces + 2 special tokens) exceeds the tiny model's 128 positions, so the
tests use a 64/48 strided window.
"""
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict

import numpy
import pytest
import spacy
from spacy.cli.debug_config import debug_config
from spacy.cli.init_config import fill_config
from spacy.cli.train import train
from spacy.training import Example
from thinc.api import Adam, Config

# Hard imports, not importorskip: requirements.txt pins spacy-transformers and
# transformers, and these checks must not turn into skipped tests.
import spacy_transformers  # noqa: F401

from helpers.ner import TRAIN_DATA, write_toy_corpus, write_tiny_bert

CONFIG_DIR = Path(__file__).parent.parent / "configs"
CRF_CONFIG = CONFIG_DIR / "transformer_crf.cfg"
SOFTMAX_CONFIG = CONFIG_DIR / "transformer.cfg"
CONFIGS = [CRF_CONFIG, SOFTMAX_CONFIG]
NAME = "components.transformer.model.name"
WINDOW = {
    "components.transformer.model.get_spans.window": 64,
    "components.transformer.model.get_spans.stride": 48,
}
OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
N_ITER = 40


@pytest.fixture(scope="module", autouse=True)
def offline():
    with pytest.MonkeyPatch.context() as mp:
        for key, value in OFFLINE.items():
            mp.setenv(key, value)
        yield


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory) -> Path:
    nlp = spacy.blank("en")
    words = sorted({t.text for text, _ in TRAIN_DATA for t in nlp.make_doc(text)})
    return write_tiny_bert(tmp_path_factory.mktemp("tiny_bert") / "model", words)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Dict[str, str]:
    return write_toy_corpus(tmp_path_factory.mktemp("trf_corpus"))


def flatten(config, prefix=()) -> Dict:
    flat = {}
    for key, value in config.items():
        if isinstance(value, dict) and value:
            flat.update(flatten(value, prefix + (key,)))
        else:
            flat[prefix + (key,)] = value
    return flat


def make_nlp(config_path: Path, model_path: Path):
    overrides = {NAME: str(model_path), **WINDOW}
    config = spacy.util.load_config(config_path, overrides=overrides)
    return spacy.util.load_model_from_config(config, auto_fill=True, validate=True)


def gold_ents(text, ents):
    return [(text[s:e], label) for s, e, label in ents]


def hidden(doc):
    return doc._.trf_data.model_output.last_hidden_state


def pred_ents(doc):
    return [(ent.text, ent.label_) for ent in doc.ents]


def train_toy(config_path: Path, model_path: Path, n_iter: int = N_ITER):
    spacy.util.fix_random_seed(0)
    nlp = make_nlp(config_path, model_path)
    examples = [Example.from_dict(nlp.make_doc(t), {"entities": e}) for t, e in TRAIN_DATA]
    nlp.initialize(lambda: examples)
    optimizer = Adam(1e-3)
    history = []
    for _ in range(n_iter):
        losses: Dict[str, float] = {}
        nlp.update(examples, sgd=optimizer, losses=losses, annotates=["sentencizer"])
        history.append(losses["bilstm_crf_ner"])
    return nlp, history


@pytest.fixture(scope="module")
def trained_crf(tiny_bert):
    return train_toy(CRF_CONFIG, tiny_bert)


def test_shipped_configs_use_a_cased_hub_model_and_a_listener():
    for path in CONFIGS:
        config = Config().from_disk(path, interpolate=False)
        trf = config["components"]["transformer"]["model"]
        assert trf["@architectures"] == "spacy-transformers.TransformerModel.v3"
        assert trf["name"] == "roberta-base"
        assert trf["get_spans"] == {"@span_getters": "spacy-transformers.strided_spans.v1",
                                    "window": 128, "stride": 96}
        ner = config["components"]["bilstm_crf_ner"]["model"]
        assert ner["depth"] == 0
        assert ner["tok2vec"]["@architectures"] == "spacy-transformers.TransformerListener.v1"
        assert ner["tok2vec"]["pooling"] == {"@layers": "reduce_mean.v1"}
        lr = config["training"]["optimizer"]["learn_rate"]
        assert lr["@schedules"] == "warmup_linear.v1" and lr["initial_rate"] <= 2e-4
        assert config["nlp"]["pipeline"] == ["sentencizer", "transformer", "bilstm_crf_ner"]
    heads = {p.name: Config().from_disk(p, interpolate=False)["components"]["bilstm_crf_ner"]["model"]
             ["@architectures"] for p in CONFIGS}
    assert heads == {"transformer_crf.cfg": "spacy-bilstm-crf.BiLSTMCRFTagger.v4",
                     "transformer.cfg": "spacy-bilstm-crf.BiLSTMTagger.v2"}


def test_crf_pipeline_learns_toy_set(trained_crf):
    nlp, history = trained_crf
    assert nlp.pipe_names == ["sentencizer", "transformer", "bilstm_crf_ner"]
    assert history[-1] < history[0] / 10
    for text, ents in TRAIN_DATA:
        assert pred_ents(nlp(text)) == gold_ents(text, ents), text
    texts = [text for text, _ in TRAIN_DATA]
    assert [pred_ents(d) for d in nlp.pipe(texts, batch_size=2)] == [pred_ents(nlp(t)) for t in texts]


def test_crf_pipeline_round_trips(trained_crf, tmp_path):
    nlp, _ = trained_crf
    texts = [text for text, _ in TRAIN_DATA]
    before = [nlp(t) for t in texts]
    nlp.to_disk(tmp_path / "pipeline")
    loaded = spacy.load(tmp_path / "pipeline")
    after = [loaded(t) for t in texts]
    assert [pred_ents(d) for d in after] == [pred_ents(d) for d in before]
    for a, b in zip(before, after):
        numpy.testing.assert_allclose(hidden(a), hidden(b), atol=1e-5)


def test_saved_pipeline_loads_without_the_original_model(tiny_bert, tmp_path):
    """The saved pipeline carries the weights and the tokenizer: the model
    name in its config may point nowhere (a hub name offline, a deleted dir)."""
    model_dir = shutil.copytree(tiny_bert, tmp_path / "soon_gone")
    nlp, _ = train_toy(CRF_CONFIG, model_dir, n_iter=3)
    texts = [text for text, _ in TRAIN_DATA]
    before = [nlp(t) for t in texts]
    nlp.to_disk(tmp_path / "pipeline")
    shutil.rmtree(model_dir)
    loaded = spacy.load(tmp_path / "pipeline")
    assert loaded.config["components"]["transformer"]["model"]["name"] == str(model_dir)
    after = [loaded(t) for t in texts]
    assert [pred_ents(d) for d in after] == [pred_ents(d) for d in before]
    for a, b in zip(before, after):
        numpy.testing.assert_allclose(hidden(a), hidden(b), atol=1e-5)


def test_long_doc_is_covered_by_strided_windows(trained_crf):
    nlp, _ = trained_crf
    sentences = [text for text, _ in TRAIN_DATA]
    text = " ".join(sentences[i % len(sentences)] for i in range(400))
    doc = nlp(text)
    assert len(doc) >= 2000
    trf = doc._.trf_data
    # Many windows, each within the tiny model's 128 positions.
    wordpieces = trf.wordpieces.input_ids
    assert wordpieces.shape[0] > 30 and wordpieces.shape[1] <= 128
    # Every token is aligned to at least one wordpiece and is annotated.
    assert (trf.align.lengths > 0).all()
    assert all(token.ent_iob_ in ("B", "I", "O") for token in doc)
    # The entities of the last sentence (far beyond the first window) are found.
    last = sentences[(400 - 1) % len(sentences)]
    tail = doc.char_span(len(text) - len(last), len(text))
    expected = gold_ents(last, dict(TRAIN_DATA)[last])
    assert [(e.text, e.label_) for e in doc.ents if e.start >= tail.start] == expected
    # Every sentence gets the same entities as on its own (toy model, strong cues).
    n_expected = sum(len(dict(TRAIN_DATA)[sentences[i % len(sentences)]]) for i in range(400))
    assert len(doc.ents) == n_expected


@pytest.mark.parametrize("config_path", CONFIGS, ids=lambda p: p.name)
def test_config_fills_and_debugs(config_path, tiny_bert, corpus, tmp_path):
    filled_path = tmp_path / "filled.cfg"
    fill_config(filled_path, config_path, silent=True)
    shipped = flatten(Config().from_disk(config_path, interpolate=False))
    filled = flatten(Config().from_disk(filled_path, interpolate=False))
    # fill-config changes nothing; it may only add new top-level arguments of
    # our factory (defaults added after the config was written).
    assert {k: filled.get(k) for k in shipped} == shipped
    added = set(filled) - set(shipped)
    assert all(k[:2] == ("components", "bilstm_crf_ner") and len(k) == 3 for k in added), added
    debug_config(config_path, overrides={**corpus, NAME: str(tiny_bert)})


def test_softmax_config_trains_with_spacy_train(tiny_bert, corpus, tmp_path):
    overrides = {**corpus, NAME: str(tiny_bert), **WINDOW, "training.max_steps": 6,
                 "training.eval_frequency": 3, "training.patience": 0,
                 "training.optimizer.learn_rate.warmup_steps": 2,
                 "training.optimizer.learn_rate.total_steps": 6}
    train(SOFTMAX_CONFIG, tmp_path, overrides=overrides)
    nlp = spacy.load(tmp_path / "model-last")
    assert nlp.pipe_names == ["sentencizer", "transformer", "bilstm_crf_ner"]
    assert nlp.get_pipe("bilstm_crf_ner").labels == ("LOC", "PERSON")
    doc = nlp(TRAIN_DATA[0][0])
    assert doc.has_annotation("ENT_IOB")


def test_package_does_not_import_spacy_transformers():
    """`import spacy_transformers` costs seconds: no module of our package, nor
    building and running an LSTM model, may pull it in. (spaCy itself loads
    every `spacy_factories` entry point in `Language.__init__`, so any pipeline
    in an environment with spacy-transformers installed pays it; not ours.)"""
    package = Path(__file__).parent.parent / "spacy_bilstm_crf"
    for path in package.rglob("*.py"):
        for line in path.read_text(encoding="utf8").splitlines():
            if line.lstrip().startswith(("import ", "from ")):
                assert "transformers" not in line, f"{path}: {line}"
    code = (
        "import importlib, pkgutil, sys\n"
        "import spacy_bilstm_crf\n"
        "for m in pkgutil.walk_packages(spacy_bilstm_crf.__path__, 'spacy_bilstm_crf.'):\n"
        "    if m.name != 'spacy_bilstm_crf.__main__':\n"
        "        importlib.import_module(m.name)\n"
        "from spacy.util import load_config, registry\n"
        "from spacy.tokens import Doc\n"
        "from spacy.vocab import Vocab\n"
        f"config = load_config({str(CONFIG_DIR / 'bilstm_crf.cfg')!r})\n"
        "block = dict(config['components']['bilstm_crf_ner']['model'], nO=5, width=8)\n"
        "model = registry.resolve({'model': block})['model']\n"
        "docs = [Doc(Vocab(), words=['Shaka', 'Khan', 'lives', 'in', 'Berlin'])]\n"
        "model.initialize(X=docs)\n"
        "assert model.predict(docs)[0].shape == (5, 5)\n"
        "assert 'spacy_transformers' not in sys.modules, 'spacy_transformers was imported'\n"
        "assert 'transformers' not in sys.modules, 'transformers was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


STACKED_CONFIG = CONFIG_DIR / "transformer_bilstm_crf.cfg"


def test_stacked_config_fills_debugs_trains_and_round_trips(tiny_bert, corpus, tmp_path):
    """transformer_bilstm_crf.cfg: the transformer's listener stacked with hash
    and character features under a BiLSTM-CRF (StackedEmbed.v1)."""
    config = Config().from_disk(STACKED_CONFIG, interpolate=False)
    parts = config["components"]["bilstm_crf_ner"]["model"]["tok2vec"]["*"]
    assert [p["@architectures"] for p in parts.values()] == [
        "spacy-transformers.TransformerListener.v1", "spacy.MultiHashEmbed.v2", "spacy-bilstm-crf.CharCNN.v1"]
    filled_path = tmp_path / "filled.cfg"
    fill_config(filled_path, STACKED_CONFIG, silent=True)
    assert flatten(Config().from_disk(filled_path, interpolate=False)) == flatten(config)
    debug_config(STACKED_CONFIG, overrides={**corpus, NAME: str(tiny_bert)})
    overrides = {**corpus, NAME: str(tiny_bert), **WINDOW, "training.max_steps": 6,
                 "training.eval_frequency": 3, "training.patience": 0,
                 "training.optimizer.learn_rate.warmup_steps": 2,
                 "training.optimizer.learn_rate.total_steps": 6}
    train(STACKED_CONFIG, tmp_path / "out", overrides=overrides)
    nlp = spacy.load(tmp_path / "out" / "model-last")
    assert nlp.pipe_names == ["sentencizer", "transformer", "bilstm_crf_ner"]
    assert nlp.get_pipe("transformer").listening_components == ["bilstm_crf_ner"]
    assert len(nlp("").ents) == 0
    texts = [text for text, _ in TRAIN_DATA] + ["東京 ☃ Zürich", "x" * 200]
    before = [nlp.get_pipe("bilstm_crf_ner").model.predict([nlp(t)])[0] for t in texts]
    nlp.to_disk(tmp_path / "pipeline")
    loaded = spacy.load(tmp_path / "pipeline")
    after = [loaded.get_pipe("bilstm_crf_ner").model.predict([loaded(t)])[0] for t in texts]
    for a, b in zip(before, after):
        numpy.testing.assert_allclose(a, b, atol=1e-5)
