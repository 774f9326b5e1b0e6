"""Every shipped config fills, validates and trains; bad values are rejected."""
import subprocess
import sys
from pathlib import Path

import numpy

import pytest
import spacy
from spacy.cli.debug_config import debug_config
from spacy.cli.init_config import fill_config
from spacy.cli.train import train
from thinc.api import Config, ConfigValidationError

from helpers.ner import TRAIN_DATA, write_toy_corpus

CONFIGS = sorted((Path(__file__).parent.parent / "configs").glob("bilstm*.cfg"))
# Enough steps for a model-best and a model-last; what the tests check does not depend on learning.
SHORT = {"training.max_steps": 4, "training.eval_frequency": 2, "training.patience": 0}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The toy corpus and a tiny static vectors table made by `spacy init
    vectors` (read by bilstm_crf_vectors.cfg, ignored by the others)."""
    path = tmp_path_factory.mktemp("corpus")
    words = sorted({word for text, _ in TRAIN_DATA for word in text.replace(".", " ").replace("?", " ").split()})
    rng = numpy.random.default_rng(0)
    lines = [f"{len(words)} 8"] + [f"{w} " + " ".join(f"{x:.3f}" for x in rng.normal(size=8)) for w in words]
    (path / "vectors.txt").write_text("\n".join(lines) + "\n", encoding="utf8")
    subprocess.run([sys.executable, "-m", "spacy", "init", "vectors", "en", str(path / "vectors.txt"),
                    str(path / "vectors")], check=True, capture_output=True)
    return dict(write_toy_corpus(path), **{"paths.vectors": str(path / "vectors")})


def test_configs_are_shipped():
    names = {p.name for p in CONFIGS}
    assert {"bilstm.cfg", "bilstm_lstm.cfg", "bilstm_crf.cfg", "bilstm_crf_chars.cfg", "bilstm_crf_vectors.cfg"} <= names


@pytest.mark.parametrize("config_path", CONFIGS, ids=lambda p: p.name)
def test_config_fills_and_debugs(config_path, corpus, tmp_path):
    filled_path = tmp_path / "filled.cfg"
    fill_config(filled_path, config_path, silent=True)
    # fill-config adds nothing: the shipped config is already complete.
    assert Config().from_disk(filled_path) == Config().from_disk(config_path)
    debug_config(config_path, overrides=corpus)


@pytest.mark.parametrize("config_path", CONFIGS, ids=lambda p: p.name)
def test_config_trains_and_loads(config_path, corpus, tmp_path):
    overrides = dict(corpus, **SHORT)
    overrides["components.bilstm_crf_ner.model.width"] = 16
    train(config_path, tmp_path, overrides=overrides)
    nlp = spacy.load(tmp_path / "model-last")
    assert nlp.pipe_names == ["sentencizer", "bilstm_crf_ner"]
    assert nlp.get_pipe("bilstm_crf_ner").labels == ("LOC", "PERSON")
    if config_path.name == "bilstm_crf_vectors.cfg":
        # The vectors table of `paths.vectors` is read and saved with the pipeline, and the word
        # embeddings take its width.
        assert nlp.vocab.vectors.shape[1] == 8 and len(nlp.vocab.vectors) > 10
        tok2vec = nlp.get_pipe("bilstm_crf_ner").model.get_ref("tok2vec")
        words = [node for node in tok2vec.walk() if node.name == "word_embed"]
        assert len(words) == 1 and words[0].get_dim("nO") == 8


def test_wrong_type_raises_config_validation_error(corpus):
    config = spacy.util.load_config(CONFIGS[0], overrides=dict(corpus))
    config["components"]["bilstm_crf_ner"]["model"]["width"] = "wide"
    with pytest.raises(ConfigValidationError):
        spacy.util.load_model_from_config(config, auto_fill=True)
    config = spacy.util.load_config(CONFIGS[0], overrides=dict(corpus))
    config["components"]["bilstm_crf_ner"]["tag_scheme"] = "IOBES"
    with pytest.raises(ConfigValidationError):
        spacy.util.load_model_from_config(config, auto_fill=True)


LISTENER = """
[components]

[components.tok2vec]
factory = "tok2vec"

[components.tok2vec.model]
@architectures = "spacy.Tok2Vec.v2"

[components.tok2vec.model.embed]
@architectures = "spacy.MultiHashEmbed.v2"
width = 32
attrs = ["NORM", "PREFIX", "SUFFIX", "SHAPE"]
rows = [500, 100, 100, 100]
include_static_vectors = false

[components.tok2vec.model.encode]
@architectures = "spacy.MaxoutWindowEncoder.v2"
width = 32
depth = 1
window_size = 1
maxout_pieces = 2

[components.bilstm_crf_ner]

[components.bilstm_crf_ner.model]

[components.bilstm_crf_ner.model.tok2vec]
@architectures = "spacy.Tok2VecListener.v1"
width = 32
upstream = "tok2vec"
"""


def test_listener_config_trains(corpus, tmp_path):
    base = Config().from_disk(CONFIGS[0].parent / "bilstm_crf.cfg", interpolate=False)
    config = base.merge(Config().from_str(LISTENER))
    config["nlp"]["pipeline"] = ["sentencizer", "tok2vec", "bilstm_crf_ner"]
    assert "rows" not in config["components"]["bilstm_crf_ner"]["model"]["tok2vec"]
    config_path = tmp_path / "listener.cfg"
    config.to_disk(config_path)
    overrides = dict(corpus, **SHORT)
    overrides["components.bilstm_crf_ner.model.width"] = 16
    train(config_path, tmp_path / "out", overrides=overrides)
    nlp = spacy.load(tmp_path / "out" / "model-last")
    assert nlp.pipe_names == ["sentencizer", "tok2vec", "bilstm_crf_ner"]
    doc = nlp(TRAIN_DATA[0][0])
    assert doc.has_annotation("ENT_IOB")


def test_bc5cdr_config_differs_only_in_tokenizer():
    """The BC5CDR config is bilstm_crf.cfg with the biomedical tokenizer, so
    that inference splits where PubTator mentions split; nothing else differs."""
    configs = Path(__file__).parent.parent / "configs"
    base = Config().from_disk(configs / "bilstm_crf.cfg", interpolate=False)
    bio = Config().from_disk(configs / "bilstm_crf_bc5cdr.cfg", interpolate=False)
    assert bio["nlp"].pop("tokenizer") == {"@tokenizers": "spacy-bilstm-crf.BiomedicalTokenizer.v1"}
    base["nlp"].pop("tokenizer")
    assert bio == base


def test_listener_stacked_with_characters_trains(corpus, tmp_path):
    """StackedEmbed.v1 takes a listener as one of its parts: the shared tok2vec
    finds it inside the stack and gets its gradient."""
    base = Config().from_disk(CONFIGS[0].parent / "bilstm_crf_chars.cfg", interpolate=False)
    listener = Config().from_str(LISTENER)
    config = base.merge(Config({"components": {"tok2vec": listener["components"]["tok2vec"]}}))
    parts = config["components"]["bilstm_crf_ner"]["model"]["tok2vec"]["*"]
    parts["hash"] = dict(listener["components"]["bilstm_crf_ner"]["model"]["tok2vec"])
    config["nlp"]["pipeline"] = ["sentencizer", "tok2vec", "bilstm_crf_ner"]
    config_path = tmp_path / "stacked_listener.cfg"
    config.to_disk(config_path)
    overrides = dict(corpus, **SHORT)
    overrides["components.bilstm_crf_ner.model.width"] = 16
    train(config_path, tmp_path / "out", overrides=overrides)
    nlp = spacy.load(tmp_path / "out" / "model-last")
    assert nlp.pipe_names == ["sentencizer", "tok2vec", "bilstm_crf_ner"]
    assert nlp.get_pipe("tok2vec").listening_components == ["bilstm_crf_ner"]
    doc = nlp(TRAIN_DATA[0][0])
    assert doc.has_annotation("ENT_IOB")
