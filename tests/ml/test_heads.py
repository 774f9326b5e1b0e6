"""The head kind is one type (spacy_bilstm_crf.ml.heads.Head), stored in the
model's attrs as the plain string that pipelines saved before it hold."""
from pathlib import Path

import pytest
import spacy

from helpers.ner import tiny_model_config
from spacy_bilstm_crf.ml.heads import Head, head_of

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "compat_pipeline_v1"


@pytest.mark.parametrize("name,head", [("bilstm_crf", Head.CRF), ("bilstm", Head.SOFTMAX)])
def test_saved_pipelines_keep_the_string_and_read_as_the_type(name, head):
    model = spacy.load(FIXTURE / name).get_pipe("bilstm_crf_ner").model
    assert type(model.attrs["head"]) is str and model.attrs["head"] == head.value
    assert head_of(model) is head


@pytest.mark.parametrize("arch,head,extra", [
    ("spacy-bilstm-crf.BiLSTMTagger.v2", Head.SOFTMAX, {}),
    ("spacy-bilstm-crf.BiLSTMLSTMTagger.v2", Head.SOFTMAX, {}),
    ("spacy-bilstm-crf.BiLSTMCRFTagger.v3", Head.CRF, {"word_dropout": 0.0}),
    ("spacy-bilstm-crf.BiLSTMTagger.v1", Head.SOFTMAX, {}),
    ("spacy-bilstm-crf.BiLSTMLSTMTagger.v1", Head.SOFTMAX, {}),
    ("spacy-bilstm-crf.BiLSTMCRFTagger.v1", Head.CRF, {}),
    ("spacy-bilstm-crf.BiLSTMCRFTagger.v2", Head.CRF, {"word_dropout": 0.0}),
])
def test_architectures_set_a_plain_string(arch, head, extra):
    nlp = spacy.blank("en")
    ner = nlp.add_pipe("bilstm_crf_ner", config=tiny_model_config(arch, **extra))
    assert type(ner.model.attrs["head"]) is str and head_of(ner.model) is head
