"""The registered builders: one current version per model in
spacy_bilstm_crf.ml.architectures, the older ones thin shims in
spacy_bilstm_crf.ml.legacy that build the identical layer tree."""
from pathlib import Path

import numpy
import pytest
import spacy
from spacy.util import registry
from thinc.api import Config, fix_random_seed

from helpers.ner import TRAIN_DATA, train_nlp
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
    ("BiLSTMCRFTagger.v1", {}, "BiLSTMCRFTagger.v4", {"word_dropout": 0.0, "context": "sentence"}),
    ("BiLSTMCRFTagger.v1", {"depth": 0}, "BiLSTMCRFTagger.v4", {"depth": 0, "word_dropout": 0.0}),
    ("BiLSTMCRFTagger.v2", {"word_dropout": 0.2, "sentence_level": True}, "BiLSTMCRFTagger.v4",
     {"word_dropout": 0.2, "context": "sentence"}),
    # v4's defaults (projection = true, embed_dropout = 0.0) are v3.
    ("BiLSTMCRFTagger.v3", {"word_dropout": 0.2}, "BiLSTMCRFTagger.v4", {"word_dropout": 0.2}),
    ("BiLSTMCRFTagger.v3", {"word_dropout": 0.1, "context": "document"}, "BiLSTMCRFTagger.v4",
     {"word_dropout": 0.1, "context": "document", "projection": True, "embed_dropout": 0.0}),
    ("BiLSTMCRFTagger.v3", {"depth": 0, "word_dropout": 0.0}, "BiLSTMCRFTagger.v4",
     {"depth": 0, "word_dropout": 0.0}),
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


def test_legacy_whole_doc_crf_is_v4_document_context_decoded_per_doc(docs):
    """`sentence_level = false` (v1, v2): the tree and emissions of v4's
    `context = "document"`, but the CRF decodes the whole doc, which v4 does not build."""
    shim = build("BiLSTMCRFTagger.v2", {"word_dropout": 0.2, "sentence_level": False}, docs)
    current = build("BiLSTMCRFTagger.v4", {"word_dropout": 0.2, "context": "document"}, docs)
    assert tree(shim) == tree(current)
    for a, b in zip(outputs(shim, docs), outputs(current, docs)):
        assert numpy.array_equal(a, b)
    assert (shim.attrs["sentence_level"], current.attrs["sentence_level"]) == (False, True)
    assert shim.attrs["context"] == current.attrs["context"] == "document"


@pytest.mark.parametrize("name,settings,arg", [
    ("BiLSTMLSTMTagger.v1", {**LSTM, "depth": 0}, "depth"),
    ("BiLSTMCRFTagger.v1", {"width": 0}, "width"),
    ("BiLSTMCRFTagger.v2", {"word_dropout": 1.0}, "word_dropout"),
    ("BiLSTMCRFTagger.v3", {"word_dropout": 0.0, "context": "page"}, "context"),
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
    assert nlp.config["components"]["bilstm_crf_ner"]["model"]["@architectures"] == NAME + "BiLSTMCRFTagger.v4"


# BiLSTMCRFTagger.v4: `projection` and `embed_dropout`.
V4 = "BiLSTMCRFTagger.v4"
NO_DROPOUT = {"dropout": 0.0, "spatial_dropout": 0.0, "word_dropout": 0.0}


def encoder_layers(model):
    """The names of the chain that holds the BiLSTM, in order."""
    encoder = next(node for node in model.walk() if any(layer.name == "packed_bilstm" for layer in node.layers))
    return [layer.name for layer in encoder.layers]


def test_v4_without_projection_the_bilstm_reads_the_tok2vec(docs):
    model = build(V4, {"word_dropout": 0.0, "projection": False}, docs)
    assert encoder_layers(model) == ["spatial_dropout", "packed_bilstm", "dropout"]
    assert [node.get_dim("nO") for node in model.walk() if node.name == "linear"] == [SIZES["nO"]]  # the output
    bilstm = next(node for node in model.walk() if node.name == "packed_bilstm")
    assert bilstm.get_dim("nI") == TOK2VEC["width"]
    weights = bilstm.shims[0]._model.lstm.weight_ih_l0
    assert tuple(weights.shape) == (4 * SIZES["width"], TOK2VEC["width"])
    assert [y.shape for y in model.predict(docs)] == [(len(doc), SIZES["nO"]) for doc in docs]
    projected = build(V4, {"word_dropout": 0.0}, docs)
    assert encoder_layers(projected) == ["spatial_dropout", "with_array(linear)", "packed_bilstm", "dropout"]


def test_v4_embed_dropout_is_element_wise_before_the_bilstm_and_train_only(docs):
    plain = build(V4, {**NO_DROPOUT, "projection": False}, docs)
    dropped = build(V4, {**NO_DROPOUT, "projection": False, "embed_dropout": 0.5}, docs)
    assert encoder_layers(dropped) == ["spatial_dropout", "dropout", "packed_bilstm", "dropout"]
    layer = [node for node in dropped.walk() if node.attrs.get("bilstm_dropout_rate") == 0.5]
    assert [node.attrs["unit"] for node in layer] == ["elements"]
    # Predict: no dropout, deterministic, the same as without it (same weights).
    for a, b, c in zip(dropped.predict(docs), dropped.predict(docs), plain.predict(docs)):
        assert numpy.array_equal(a, b) and numpy.array_equal(a, c)
    # Training: active (without it, the update's output is the prediction up to float rounding).
    def train_vs_predict(model):
        return max(abs(p - t).max() for p, t in zip(model.predict(docs), model.begin_update(docs)[0]))

    assert train_vs_predict(plain) < 1e-5 and train_vs_predict(dropped) > 1e-2
    Y, _ = layer[0]([numpy.ones((200, 40), dtype="f")], is_train=True)
    assert 0.4 < (Y[0] == 0).mean() < 0.6 and set(numpy.unique(Y[0])) == {0.0, 2.0}
    assert (Y[0] != 0).any(axis=0).all() and (Y[0] != 0).any(axis=1).all()  # elements, not channels or tokens


@pytest.mark.parametrize("settings,arg", [
    ({"embed_dropout": 1.0}, "embed_dropout"),
    ({"embed_dropout": -0.1}, "embed_dropout"),
    ({"embed_dropout": 0.5, "depth": 0}, None),  # fine at depth 0 too: dropout on the tok2vec
    ({"context": "page"}, "context"),
])
def test_v4_checks_its_settings(docs, settings, arg):
    if arg is None:
        model = build(V4, {**NO_DROPOUT, **settings}, docs)
        assert [node.attrs["unit"] for node in model.walk() if node.attrs.get("bilstm_dropout_rate")] == ["elements"]
        return
    with pytest.raises(ValueError, match=rf"E006.*{NAME + V4}.*{arg}="):
        build(V4, {"word_dropout": 0.0, **settings}, docs)


@pytest.fixture(scope="module")
def trained_without_projection():
    return train_nlp(NAME + V4, n_iter=60, width=16, word_dropout=0.0, embed_dropout=0.2, projection=False)


def test_v4_without_projection_learns_a_toy_task(trained_without_projection):
    nlp, history = trained_without_projection
    assert history[-1] < history[0] * 0.2
    assert [ents(doc) for doc in nlp.pipe(text for text, _ in TRAIN_DATA)] == [gold for _, gold in TRAIN_DATA]


def test_v4_without_projection_round_trips(trained_without_projection, tmp_path):
    """spaCy rebuilds the model from the config (the BiLSTM's input width
    unknown) before it reads the weights: they give it back its width."""
    nlp, _ = trained_without_projection
    texts = [text for text, _ in TRAIN_DATA]
    nlp.to_disk(tmp_path)
    loaded = spacy.load(tmp_path)
    assert [ents(doc) for doc in loaded.pipe(texts)] == [ents(doc) for doc in nlp.pipe(texts)]
    docs = [nlp.make_doc(text) for text in texts]
    before, after = (pipeline.get_pipe("bilstm_crf_ner").model.predict(docs) for pipeline in (nlp, loaded))
    for a, b in zip(before, after):
        assert numpy.array_equal(a, b)
    bilstm = next(node for node in loaded.get_pipe("bilstm_crf_ner").model.walk() if node.name == "packed_bilstm")
    assert bilstm.get_dim("nI") == 32 == bilstm.shims[0]._model.nI  # tiny_model_config's tok2vec width


def ents(doc):
    return [(e.start_char, e.end_char, e.label_) for e in doc.ents]
