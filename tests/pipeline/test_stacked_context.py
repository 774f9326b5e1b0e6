"""`bilstm_crf_ner` over stacked hash + character features, with sentence or
document context (BiLSTMCRFTagger.v3)."""
from typing import Dict

import numpy
import pytest
import spacy
from spacy.util import registry
from thinc.api import Adam

from helpers.ner import TRAIN_DATA, make_examples

from spacy_bilstm_crf.ml.layers.stacked import StackedEmbed

TEXTS = [text for text, _ in TRAIN_DATA]
HASH = {
    "@architectures": "spacy.MultiHashEmbed.v2",
    "width": 32,
    "attrs": ["NORM", "PREFIX", "SUFFIX", "SHAPE"],
    "rows": [500, 100, 100, 100],
    "include_static_vectors": False,
}
CHARS = {
    "cnn": {"@architectures": "spacy-bilstm-crf.CharCNN.v1", "width": 16, "embed_width": 8, "rows": 100},
    "bilstm": {"@architectures": "spacy-bilstm-crf.CharBiLSTM.v1", "width": 16, "embed_width": 8, "rows": 100},
}


def model_config(chars: str, context: str, projection=None) -> Dict:
    return {
        "@architectures": "spacy-bilstm-crf.BiLSTMCRFTagger.v3",
        "width": 16,
        "depth": 1,
        "dropout": 0.0,
        "spatial_dropout": 0.0,
        "word_dropout": 0.0,
        "context": context,
        "tok2vec": {
            "@architectures": "spacy-bilstm-crf.StackedEmbed.v1",
            "width": projection,
            "*": {"hash": dict(HASH), "chars": dict(CHARS[chars])},
        },
    }


def train(chars: str, context: str, projection=None, n_iter: int = 60):
    spacy.util.fix_random_seed(0)
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("bilstm_crf_ner", config={"model": model_config(chars, context, projection)})
    examples = make_examples(nlp)
    nlp.initialize(lambda: examples)
    optimizer = Adam(0.01)
    history = []
    for _ in range(n_iter):
        losses: Dict[str, float] = {}
        nlp.update(examples, sgd=optimizer, losses=losses, annotates=["sentencizer"])
        history.append(losses["bilstm_crf_ner"])
    return nlp, history


def ents(doc):
    return [(e.start_char, e.end_char, e.label_) for e in doc.ents]


@pytest.fixture(scope="module", params=[("cnn", "document", None), ("bilstm", "sentence", 24)],
                ids=["cnn-document", "bilstm-sentence-projected"])
def trained(request):
    return train(*request.param)


def test_learns_and_round_trips(trained, tmp_path):
    nlp, history = trained
    assert history[-1] < history[0] * 0.2
    for text, gold in TRAIN_DATA:
        assert ents(nlp(text)) == gold
    nlp.to_disk(tmp_path)
    loaded = spacy.load(tmp_path)
    for text in TEXTS + ["東京 ☃ Zürich", "x" * 200 + " a b"]:
        a = nlp.get_pipe("bilstm_crf_ner").model.predict([nlp(text)])[0]
        b = loaded.get_pipe("bilstm_crf_ner").model.predict([loaded(text)])[0]
        numpy.testing.assert_array_equal(a, b)
        assert ents(nlp(text)) == ents(loaded(text))


def test_batch_independent_with_empty_and_odd_docs(trained):
    nlp, _ = trained
    texts = [" ".join(TEXTS), "", "I", "x" * 200, "Zoë Müller visited 東京 today.", TEXTS[0]]
    one_by_one = [ents(nlp(t)) for t in texts]
    assert [ents(doc) for doc in nlp.pipe(texts, batch_size=6)] == one_by_one
    model = nlp.get_pipe("bilstm_crf_ner").model
    docs = list(nlp.pipe(texts))
    together = model.predict(docs)
    for doc, scores in zip(docs, together):
        numpy.testing.assert_allclose(model.predict([doc])[0], scores, atol=1e-5)


def test_document_context_reads_beyond_the_sentence():
    """With document context the scores of a sentence depend on its
    neighbours; with sentence context they do not. The CRF decodes each
    sentence on its own in both."""
    for context, depends in (("document", True), ("sentence", False)):
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
        ner = nlp.add_pipe("bilstm_crf_ner", config={"model": model_config("cnn", context)})
        nlp.initialize(lambda: make_examples(nlp))
        assert ner.model.attrs["sentence_level"] and ner.model.attrs["context"] == context
        alone = ner.model.predict([nlp("Berlin is big.")])[0]
        after = ner.model.predict([nlp("Shaka Khan lives in London. Berlin is big.")])[0][-4:]
        assert (not numpy.allclose(alone, after, atol=1e-6)) == depends


def test_stacked_embed_needs_a_part_and_a_valid_width():
    with pytest.raises(ValueError, match="E020"):
        StackedEmbed()
    with pytest.raises(ValueError, match="parts"):
        registry.resolve({"m": {"@architectures": "spacy-bilstm-crf.StackedEmbed.v1"}})
    with pytest.raises(ValueError, match="E006"):
        registry.resolve({"m": {"@architectures": "spacy-bilstm-crf.StackedEmbed.v1", "width": 0,
                                "*": {"hash": dict(HASH)}}})


def test_v3_rejects_an_unknown_context():
    with pytest.raises(ValueError, match="context"):
        registry.resolve({"m": model_config("cnn", "paragraph")})
