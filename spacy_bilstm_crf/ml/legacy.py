"""The older registered builders, kept so that configs and saved pipelines
that name them still load (as spaCy keeps its old versions in spacy-legacy).

Each is a thin shim over the tree builder of the current version
(`architectures.py`): same layer tree, same names, dims and parameters. New
configs should name the current versions: BiLSTMTagger.v2,
BiLSTMLSTMTagger.v2, BiLSTMCRFTagger.v4.
"""
from typing import List, Optional

from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Model, Softmax_v2
from thinc.types import Floats2d

from .architectures import bilstm_crf_tagger, bilstm_lstm_tagger, bilstm_tagger


@registry.architectures("spacy-bilstm-crf.BiLSTMTagger.v1")
def build_bilstm_tagger_v1(
    tok2vec: Model[List[Doc], List[Floats2d]], *, width: int, depth: int, dropout: float,
    spatial_dropout: float, sentence_level: bool = True, nO: Optional[int] = None,
) -> Model[List[Doc], List[Floats2d]]:
    """BiLSTMTagger.v2 with thinc's zero-initialised softmax, which passes no
    gradient to the layers below at first (with the small learning rates of
    transformer fine-tuning it barely learned)."""
    return bilstm_tagger(
        "spacy-bilstm-crf.BiLSTMTagger.v1", tok2vec, Softmax_v2(nO=nO),
        width=width, depth=depth, dropout=dropout, spatial_dropout=spatial_dropout, sentence_level=sentence_level,
    )


@registry.architectures("spacy-bilstm-crf.BiLSTMLSTMTagger.v1")
def build_bilstm_lstm_tagger_v1(
    tok2vec: Model[List[Doc], List[Floats2d]], *, width: int, depth: int, lstm_width: int, dropout: float,
    spatial_dropout: float, sentence_level: bool = True, nO: Optional[int] = None,
) -> Model[List[Doc], List[Floats2d]]:
    """BiLSTMLSTMTagger.v2 with thinc's zero-initialised softmax (see
    BiLSTMTagger.v1)."""
    return bilstm_lstm_tagger(
        "spacy-bilstm-crf.BiLSTMLSTMTagger.v1", tok2vec, Softmax_v2(nO=nO),
        width=width, depth=depth, lstm_width=lstm_width, dropout=dropout, spatial_dropout=spatial_dropout,
        sentence_level=sentence_level,
    )


@registry.architectures("spacy-bilstm-crf.BiLSTMCRFTagger.v1")
def build_bilstm_crf_tagger_v1(
    tok2vec: Model[List[Doc], List[Floats2d]], *, width: int, depth: int, dropout: float,
    spatial_dropout: float, sentence_level: bool = True, nO: Optional[int] = None,
) -> Model[List[Doc], List[Floats2d]]:
    """BiLSTMCRFTagger.v2 without word dropout (`word_dropout = 0.0`)."""
    return bilstm_crf_tagger(
        "spacy-bilstm-crf.BiLSTMCRFTagger.v1", tok2vec, nO, width=width, depth=depth, dropout=dropout,
        spatial_dropout=spatial_dropout, word_dropout=0.0, embed_dropout=0.0, projection=True,
        sentence_level=sentence_level, context="sentence",
    )


@registry.architectures("spacy-bilstm-crf.BiLSTMCRFTagger.v2")
def build_bilstm_crf_tagger_v2(
    tok2vec: Model[List[Doc], List[Floats2d]], *, width: int, depth: int, dropout: float,
    spatial_dropout: float, word_dropout: float, sentence_level: bool = True, nO: Optional[int] = None,
) -> Model[List[Doc], List[Floats2d]]:
    """`sentence_level = true` is BiLSTMCRFTagger.v3 with `context =
    "sentence"`. `sentence_level = false` runs the BiLSTM and the CRF over
    the whole doc, which v3 and v4 do not build: their `context =
    "document"` has the BiLSTM read the doc but the CRF still score and
    decode each sentence."""
    return bilstm_crf_tagger(
        "spacy-bilstm-crf.BiLSTMCRFTagger.v2", tok2vec, nO, width=width, depth=depth, dropout=dropout,
        spatial_dropout=spatial_dropout, word_dropout=word_dropout, embed_dropout=0.0, projection=True,
        sentence_level=sentence_level, context="sentence",
    )


@registry.architectures("spacy-bilstm-crf.BiLSTMCRFTagger.v3")
def build_bilstm_crf_tagger_v3(
    tok2vec: Model[List[Doc], List[Floats2d]], *, width: int, depth: int, dropout: float,
    spatial_dropout: float, word_dropout: float, context: str = "sentence", nO: Optional[int] = None,
) -> Model[List[Doc], List[Floats2d]]:
    """BiLSTMCRFTagger.v4 with `embed_dropout = 0.0` and `projection = true`
    (a Linear to `width` before the BiLSTM), the only tree v3 builds."""
    return bilstm_crf_tagger(
        "spacy-bilstm-crf.BiLSTMCRFTagger.v3", tok2vec, nO, width=width, depth=depth, dropout=dropout,
        spatial_dropout=spatial_dropout, word_dropout=word_dropout, embed_dropout=0.0, projection=True,
        sentence_level=True, context=context,
    )
