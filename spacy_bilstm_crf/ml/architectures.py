"""Registered model builders, one current version per model:

- `spacy-bilstm-crf.BiLSTMTagger.v2`: tok2vec -> BiLSTM -> per-token softmax;
- `spacy-bilstm-crf.BiLSTMLSTMTagger.v2`: tok2vec -> BiLSTM -> forward LSTM ->
  per-token softmax;
- `spacy-bilstm-crf.BiLSTMCRFTagger.v4`: tok2vec -> BiLSTM -> emission scores
  -> linear-chain CRF (the factory's default model).

Each builds its tree with one function below (`bilstm_tagger`,
`bilstm_lstm_tagger`, `bilstm_crf_tagger`); the older registered versions are
thin shims over the same functions in `legacy.py`, so a pipeline saved with
them loads into the identical layer tree.

Every torch module is sized from config values (width, depth), never from the
data: spaCy rebuilds the model from the config before it loads weights. What
depends on the data lives in thinc layers whose dims thinc saves: the `Linear`
from the tok2vec width to the LSTM width (nI inferred), and the output layer
and CRF parameters (nO set from the component's labels). The one exception,
a BiLSTM reading the tok2vec without the `Linear` (BiLSTMCRFTagger.v4's
`projection = false`), infers its input width at initialize and is rebuilt
from its saved weights on load (`layers.packed_lstm.PackedLSTM`).

With sentence-level context the LSTM and the head run over each sentence of a
doc that has sentence boundaries (see `layers.sentences`); the component then
computes the loss and decodes per sentence too.
"""
from typing import List, Optional

from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Linear, Model, Softmax_v2, chain, glorot_uniform_init, with_array
from thinc.types import Floats2d

from ..errors import Errors
from .heads import Head, set_head
from .layers.crf_params import CRFTransitions
from .layers.dropout import ListDropout, WordDropout
from .layers.packed_lstm import PackedLSTM
from .layers.sentences import with_sentences


def _check(arch: str, name: str, value: float, ok: bool, expected: str) -> None:
    if not ok:
        raise ValueError(Errors.E006.format(arch=arch, arg=name, value=value, expected=expected))


def _embedding_dropouts(word_dropout: float, spatial_dropout: float, embed_dropout: float, *,
                        keep_spatial: bool) -> List[Model]:
    """Word, spatial and element-wise dropout on the token vectors, in that
    order; a rate of 0 adds no layer (`keep_spatial`: the spatial one stays,
    as the BiLSTM encoder has always had it)."""
    layers = [WordDropout(word_dropout)] if word_dropout else []
    layers += [ListDropout(spatial_dropout, spatial=True)] if spatial_dropout or keep_spatial else []
    return layers + ([ListDropout(embed_dropout, spatial=False)] if embed_dropout else [])


def build_bilstm_encoder(
    *, width: int, depth: int, dropout: float, spatial_dropout: float, word_dropout: float = 0.0,
    embed_dropout: float = 0.0, projection: bool = True,
) -> Model[List[Floats2d], List[Floats2d]]:
    """Word, spatial and element-wise dropout on the embeddings, a Linear to
    `width` (`projection = False`: none, the BiLSTM reads the embeddings and
    infers their width at initialize), a packed BiLSTM with `width` units per
    direction (output 2 * width), then dropout."""
    project = [with_array(Linear(nO=width))] if projection else []
    return chain(
        *_embedding_dropouts(word_dropout, spatial_dropout, embed_dropout, keep_spatial=True),
        *project,
        PackedLSTM(2 * width, width if projection else None, depth=depth, dropout=dropout, bidirectional=True),
        ListDropout(dropout, spatial=False),
    )


def _encoder_or_none(arch, width, depth, dropout, spatial_dropout, word_dropout=0.0, embed_dropout=0.0,
                     projection=True) -> Optional[Model]:
    _check(arch, "depth", depth, depth >= 0, "an integer >= 0")
    _check(arch, "width", width, width >= 1, "an integer >= 1")
    _check(arch, "word_dropout", word_dropout, 0.0 <= word_dropout < 1.0, "a rate in [0, 1)")
    _check(arch, "embed_dropout", embed_dropout, 0.0 <= embed_dropout < 1.0, "a rate in [0, 1)")
    if depth == 0:
        # Depth 0: the tok2vec (e.g. a transformer) feeds the head directly.
        layers = _embedding_dropouts(word_dropout, spatial_dropout, embed_dropout, keep_spatial=False)
        return chain(*layers) if len(layers) > 1 else (layers[0] if layers else None)
    return build_bilstm_encoder(
        width=width, depth=depth, dropout=dropout, spatial_dropout=spatial_dropout, word_dropout=word_dropout,
        embed_dropout=embed_dropout, projection=projection,
    )


def _assemble(name: str, head: Head, tok2vec: Model, layers: List[Model], output: Model,
              crf: Optional[Model] = None, *, sentence_level: bool,
              context: str = "sentence") -> Model[List[Doc], List[Floats2d]]:
    """With `context="document"` the encoder reads the whole doc while the
    head (`sentence_level`) still scores and decodes each sentence."""
    parts = [layer for layer in layers if layer is not None] + [with_array(output)]
    if crf is not None:
        parts.append(crf)
    if sentence_level and context == "sentence":
        model = with_sentences(tok2vec, chain(*parts) if len(parts) > 1 else parts[0])
    else:
        model = chain(tok2vec, *parts)
    model.name = name
    set_head(model, head)
    model.attrs["sentence_level"] = sentence_level
    model.attrs["context"] = context if sentence_level else "document"
    model.set_ref("tok2vec", tok2vec)
    model.set_ref("output", output)
    if crf is not None:
        model.set_ref("crf", crf)
    return model


def bilstm_tagger(arch: str, tok2vec: Model, output: Model, *, width: int, depth: int, dropout: float,
                  spatial_dropout: float, sentence_level: bool) -> Model[List[Doc], List[Floats2d]]:
    """The tree of every BiLSTMTagger version: tok2vec -> BiLSTM -> `output`
    (a softmax; the versions differ in its init). `arch` names the
    registered version in errors."""
    encoder = _encoder_or_none(arch, width, depth, dropout, spatial_dropout)
    return _assemble("bilstm_tagger", Head.SOFTMAX, tok2vec, [encoder], output, sentence_level=sentence_level)


def bilstm_lstm_tagger(arch: str, tok2vec: Model, output: Model, *, width: int, depth: int, lstm_width: int,
                       dropout: float, spatial_dropout: float, sentence_level: bool,
                       ) -> Model[List[Doc], List[Floats2d]]:
    """The tree of every BiLSTMLSTMTagger version: tok2vec -> BiLSTM ->
    unidirectional LSTM of `lstm_width` units -> `output` (a softmax)."""
    _check(arch, "depth", depth, depth >= 1, "an integer >= 1")
    _check(arch, "lstm_width", lstm_width, lstm_width >= 1, "an integer >= 1")
    encoder = _encoder_or_none(arch, width, depth, dropout, spatial_dropout)
    forward_lstm = PackedLSTM(lstm_width, 2 * width, depth=1, dropout=0.0, bidirectional=False)
    layers = [encoder, forward_lstm, ListDropout(dropout, spatial=False)]
    return _assemble("bilstm_lstm_tagger", Head.SOFTMAX, tok2vec, layers, output, sentence_level=sentence_level)


CONTEXTS = ("sentence", "document")


def bilstm_crf_tagger(arch: str, tok2vec: Model, nO: Optional[int], *, width: int, depth: int, dropout: float,
                      spatial_dropout: float, word_dropout: float, embed_dropout: float, projection: bool,
                      sentence_level: bool, context: str) -> Model[List[Doc], List[Floats2d]]:
    """The tree of every BiLSTMCRFTagger version: tok2vec -> BiLSTM ->
    emission scores -> CRF. `sentence_level = False` (legacy versions only)
    runs the BiLSTM and the CRF over the whole doc."""
    _check(arch, "context", context, context in CONTEXTS, " or ".join(repr(c) for c in CONTEXTS))
    encoder = _encoder_or_none(arch, width, depth, dropout, spatial_dropout, word_dropout, embed_dropout, projection)
    return _assemble("bilstm_crf_tagger", Head.CRF, tok2vec, [encoder], Linear(nO=nO), CRFTransitions(nO),
                     sentence_level=sentence_level, context=context)


@registry.architectures("spacy-bilstm-crf.BiLSTMTagger.v2")
def build_bilstm_tagger_v2(
    tok2vec: Model[List[Doc], List[Floats2d]], *, width: int, depth: int, dropout: float,
    spatial_dropout: float, sentence_level: bool = True, nO: Optional[int] = None,
) -> Model[List[Doc], List[Floats2d]]:
    """tok2vec -> BiLSTM (`width` units per direction, `depth` layers; 0: the
    tok2vec feeds the softmax) -> per-token softmax over tags, Glorot-
    initialised so that a gradient reaches the layers below from the first
    step. `sentence_level`: the BiLSTM reads each sentence, else the doc."""
    return bilstm_tagger(
        "spacy-bilstm-crf.BiLSTMTagger.v2", tok2vec, Softmax_v2(nO=nO, init_W=glorot_uniform_init),
        width=width, depth=depth, dropout=dropout, spatial_dropout=spatial_dropout, sentence_level=sentence_level,
    )


@registry.architectures("spacy-bilstm-crf.BiLSTMLSTMTagger.v2")
def build_bilstm_lstm_tagger_v2(
    tok2vec: Model[List[Doc], List[Floats2d]], *, width: int, depth: int, lstm_width: int, dropout: float,
    spatial_dropout: float, sentence_level: bool = True, nO: Optional[int] = None,
) -> Model[List[Doc], List[Floats2d]]:
    """tok2vec -> BiLSTM -> unidirectional LSTM (`lstm_width` units) ->
    Glorot-initialised per-token softmax: the "BiLSTM followed by LSTM" model
    of the Keras notebooks."""
    return bilstm_lstm_tagger(
        "spacy-bilstm-crf.BiLSTMLSTMTagger.v2", tok2vec, Softmax_v2(nO=nO, init_W=glorot_uniform_init),
        width=width, depth=depth, lstm_width=lstm_width, dropout=dropout, spatial_dropout=spatial_dropout,
        sentence_level=sentence_level,
    )


@registry.architectures("spacy-bilstm-crf.BiLSTMCRFTagger.v4")
def build_bilstm_crf_tagger_v4(
    tok2vec: Model[List[Doc], List[Floats2d]], *, width: int, depth: int, dropout: float,
    spatial_dropout: float, word_dropout: float, embed_dropout: float = 0.0, projection: bool = True,
    context: str = "sentence", nO: Optional[int] = None,
) -> Model[List[Doc], List[Floats2d]]:
    """tok2vec -> BiLSTM -> emission scores -> linear-chain CRF, which scores
    and decodes each sentence. The model's output is the emission scores; the
    CRF parameters sit in the "crf" layer, read by the component.

    word_dropout: in training, each token's embedding is zeroed with this
        probability, so the BiLSTM learns to tag from context (without
        pretrained vectors, most errors on unseen text are unseen words).
    embed_dropout: in training, element-wise dropout on the token vectors
        before the BiLSTM (Ma & Hovy's 0.5 on the concatenated word and
        character embeddings).
    projection: true, a Linear maps the token vectors to `width` before the
        BiLSTM; false, the BiLSTM reads them directly (as in the papers), its
        input width inferred from the tok2vec at initialize.
    context: "sentence", the BiLSTM reads one sentence; "document", it reads
        the whole doc, so a name seen earlier in the article informs its later
        mentions. (The tok2vec always reads the whole doc.)
    """
    return bilstm_crf_tagger(
        "spacy-bilstm-crf.BiLSTMCRFTagger.v4", tok2vec, nO, width=width, depth=depth, dropout=dropout,
        spatial_dropout=spatial_dropout, word_dropout=word_dropout, embed_dropout=embed_dropout,
        projection=projection, sentence_level=True, context=context,
    )
