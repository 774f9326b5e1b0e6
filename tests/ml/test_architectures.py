"""The registered builders: one current version per model in
spacy_bilstm_crf.ml.architectures, the older ones thin shims in
spacy_bilstm_crf.ml.legacy that build the identical layer tree."""
from pathlib import Path

import numpy
import pytest
import spacy
from spacy.util import registry
from thinc.api import Config, fix_random_seed

from spacy_bilstm_crf.pipeline.ner import DEFAULT_MODEL_CONFIG

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
NAME = "spacy-bilstm-crf."
TOK2VEC = {"@architectures": "spacy.MultiHashEmbed.v2", "width": 8, "attrs": ["NORM", "SHAPE"],
           "rows": [64, 16], "include_static_vectors": False}
SIZES = {"width": 6, "depth": 1, "dropout": 0.1, "spatial_dropout": 0.1, "nO": 5}
LSTM = {"lstm_width": 4}

# (legacy name, its settings, current name, the current settings that mean the same)
SHIMS = [
    ("BiLSTMTagger.v1", {}, "BiLSTMTagger.v2", {}),
    ("BiLSTMTagger.v1", {"depth": 0, "sentence_level": False}, "BiLSTMTagger.v2",
     {"depth": 0, "sentence_level": False}),
    ("BiLSTMLSTMTagger.v1", LSTM, "BiLSTMLSTMTagger.v2", LSTM),
    ("BiLSTMCRFTagger.v1", {}, "BiLSTMCRFTagger.v3", {"word_dropout": 0.0, "context": "sentence"}),
    ("BiLSTMCRFTagger.v1", {"depth": 0}, "BiLSTMCRFTagger.v3", {"depth": 0, "word_dropout": 0.0}),
    ("BiLSTMCRFTagger.v2", {"word_dropout": 0.2, "sentence_level": True}, "BiLSTMCRFTagger.v3",
     {"word_dropout": 0.2, "context": "sentence"}),
]
# v1's softmax starts at zero, v2's from Glorot weights: the only difference.
ZERO_INIT = {"BiLSTMTagger.v1", "BiLSTMLSTMTagger.v1"}


@pytest.fixture(scope="module")
def docs():
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return [nlp(text) for text in ("Shaka Khan lives in Berlin. He likes it.", "Hi.", "London and Paris grow.")]


def build(name, settings, docs):
    fix_random_seed(0)
    model = registry.resolve(Config({"m": {"@architectures": NAME + name, **SIZES, "tok2vec": TOK2VEC, **settings}}))
    model = model["m"]
    model.initialize(X=docs)
    return model


def tree(model):
    return [(node.name, {d: node.maybe_get_dim(d) for d in node.dim_names},
             {p: node.get_param(p).shape for p in node.param_names if node.has_param(p)}) for node in model.walk()]


def params(model):
    return [(node.name, p, node.get_param(p)) for node in model.walk() for p in node.param_names if node.has_param(p)]


def outputs(model, docs):
    fix_random_seed(1)
    predicted = model.predict(docs)
    trained, _ = model.begin_update(docs)  # with dropout: the same random draws in the same order
    return [numpy.asarray(y) for y in predicted + trained]


@pytest.mark.parametrize("old,old_settings,new,new_settings", SHIMS)
def test_legacy_shim_builds_the_current_tree(docs, old, old_settings, new, new_settings):
    shim, current = build(old, old_settings, docs), build(new, new_settings, docs)
    assert registry.architectures.get(NAME + old).__module__ == "spacy_bilstm_crf.ml.legacy"
    assert registry.architectures.get(NAME + new).__module__ == "spacy_bilstm_crf.ml.architectures"
    assert tree(shim) == tree(current)
    assert shim.attrs == current.attrs and shim.ref_names == current.ref_names
    zero_init = old in ZERO_INIT
    for (node, name, a), (_, _, b) in zip(params(shim), params(current)):
        if zero_init and node == "softmax" and name == "W":
            assert not a.any() and b.any()
        else:
            assert numpy.array_equal(a, b), (node, name)
    if zero_init:  # give the shim the current init: then it computes the same
        shim.get_ref("output").set_param("W", current.get_ref("output").get_param("W").copy())
    for a, b in zip(outputs(shim, docs), outputs(current, docs)):
        assert numpy.array_equal(a, b)


def test_legacy_whole_doc_crf_is_v3_document_context_decoded_per_doc(docs):
    """`sentence_level = false` (v1, v2): the tree and emissions of v3's
    `context = "document"`, but the CRF decodes the whole doc, which v3 does not build."""
    shim = build("BiLSTMCRFTagger.v2", {"word_dropout": 0.2, "sentence_level": False}, docs)
    current = build("BiLSTMCRFTagger.v3", {"word_dropout": 0.2, "context": "document"}, docs)
    assert tree(shim) == tree(current)
    for a, b in zip(outputs(shim, docs), outputs(current, docs)):
        assert numpy.array_equal(a, b)
    assert (shim.attrs["sentence_level"], current.attrs["sentence_level"]) == (False, True)
    assert shim.attrs["context"] == current.attrs["context"] == "document"


@pytest.mark.parametrize("name,settings,arg", [
    ("BiLSTMLSTMTagger.v1", {**LSTM, "depth": 0}, "depth"),
    ("BiLSTMCRFTagger.v1", {"width": 0}, "width"),
    ("BiLSTMCRFTagger.v2", {"word_dropout": 1.0}, "word_dropout"),
])
def test_legacy_errors_name_the_legacy_version(docs, name, settings, arg):
    with pytest.raises(ValueError, match=rf"E006.*{NAME + name}.*{arg}="):
        build(name, settings, docs)


def test_shipped_configs_name_current_builders():
    for path in sorted(CONFIGS.glob("*.cfg")):
        components = Config().from_disk(path, interpolate=False)["components"]
        if "bilstm_crf_ner" in components:
            arch = components["bilstm_crf_ner"]["model"]["@architectures"]
            assert registry.architectures.get(arch).__module__ == "spacy_bilstm_crf.ml.architectures", path.name


def test_default_model_is_bilstm_crf_cfg():
    shipped = Config().from_disk(CONFIGS / "bilstm_crf.cfg", interpolate=False)
    model = dict(shipped["components"]["bilstm_crf_ner"]["model"])
    assert model.pop("nO") is None
    assert Config().from_str(DEFAULT_MODEL_CONFIG)["model"] == model
    nlp = spacy.blank("en")
    nlp.add_pipe("bilstm_crf_ner")
    assert nlp.config["components"]["bilstm_crf_ner"]["model"]["@architectures"] == NAME + "BiLSTMCRFTagger.v3"
