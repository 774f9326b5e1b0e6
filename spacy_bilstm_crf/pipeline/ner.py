"""The `bilstm_crf_ner` component: a sequence tagger that sets `doc.ents`.

It runs any of the three architectures. The model returns per-token scores
(softmax probabilities or CRF emissions); the component owns what depends on
the label set: the tag inventory, gold conversion, the loss and the
constrained decoding.
"""
from itertools import islice
from typing import Callable, Dict, Iterable, List, Optional, Tuple

import numpy
from spacy.language import Language
from spacy.pipeline import TrainablePipe
from spacy.pipeline.ner import ner_score
from spacy.tokens import Doc, SpanGroup
from spacy.training import Example, validate_examples, validate_get_examples
from spacy.vocab import Vocab
from pydantic import StrictBool, StrictInt, StrictStr
from thinc.api import Config, Model, set_dropout_rate
from thinc.types import Floats2d

from .. import memory
from ..errors import Errors
from ..ml.heads import Head, head_of
from ..ml.layers.sentences import sentence_lengths
from ..ml.layers.word_embed import set_training_words
from ._ner.analyses import check_analysis_settings, label_alternatives, set_nbest_groups, uncertainty_attrs
from ._ner.decoding import Constraints, Decoded, chunks_by_words, concat_decoded, decode
from ._ner.gold import gold_tag_ids
from ._ner.losses import crf_loss, softmax_loss
from ._ner.preset import drop_broken_analyses, fixed_tag_ids, mask_scores, merge_preset
from ._ner.tags import (
    allowed_transitions,
    check_scheme,
    get_tags,
    labels_of,
    mask_invalid_gold,
    tag_ids_to_spans,
)

try:  # Python 3.8+
    from typing import Literal
except ImportError:  # pragma: no cover
    from typing_extensions import Literal  # type: ignore

# A sanity bound on the calibration temperature: above it the probabilities
# are nearly uniform over the allowed analyses and say nothing.
MAX_TEMPERATURE = 10.0

# The default model is configs/bilstm_crf.cfg's: the current BiLSTM-CRF over
# hash embeddings, nothing to download (tests/ml/test_architectures.py checks they agree).
DEFAULT_MODEL_CONFIG = """
[model]
@architectures = "spacy-bilstm-crf.BiLSTMCRFTagger.v4"
width = 128
depth = 1
dropout = 0.25
spatial_dropout = 0.1
word_dropout = 0.1
embed_dropout = 0.0
projection = true
context = "sentence"

[model.tok2vec]
@architectures = "spacy.MultiHashEmbed.v2"
width = 96
attrs = ["NORM", "PREFIX", "SUFFIX", "SHAPE"]
rows = [5000, 1000, 2500, 2500]
include_static_vectors = false
"""
DEFAULT_MODEL = Config().from_str(DEFAULT_MODEL_CONFIG)["model"]


@Language.factory(
    "bilstm_crf_ner",
    assigns=["doc.ents", "token.ent_iob", "token.ent_type"],
    default_config={
        "model": DEFAULT_MODEL,
        "tag_scheme": "BILUO",
        "spans_key": "ents_scored",
        "threshold": 0.0,
        "temperature": 1.0,
        "n_best": 1,
        "nbest_key": "ents_nbest",
        "uncertainty": False,
        "alternatives": False,
        "release_memory_every": 50,
        "max_predict_words": 20000,
        "respect_preset_ents": True,
        "scorer": {"@scorers": "spacy.ner_scorer.v1"},
    },
    default_score_weights={"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0, "ents_per_type": None},
)
def make_bilstm_crf_ner(
    nlp: Language,
    name: str,
    model: Model[List[Doc], List[Floats2d]],
    tag_scheme: Literal["BILUO", "BIO"],
    spans_key: Optional[StrictStr],
    threshold: float,
    temperature: float,
    n_best: StrictInt,
    nbest_key: StrictStr,
    uncertainty: StrictBool,
    alternatives: StrictBool,
    release_memory_every: StrictInt,
    max_predict_words: StrictInt,
    respect_preset_ents: StrictBool,
    scorer: Optional[Callable],
) -> "BiLSTMCRFNER":
    """A BiLSTM / BiLSTM-LSTM / BiLSTM-CRF entity tagger (the model decides).

    model: by default configs/bilstm_crf.cfg's model, BiLSTMCRFTagger.v4 over
        hash embeddings (NORM, PREFIX, SUFFIX, SHAPE), with word dropout and
        the BiLSTM and CRF over each sentence.

    spans_key: where every decoded entity goes, with its probability in the
        group's attrs["scores"]; null skips computing the probabilities.
    threshold: entities less probable than this are left out of `doc.ents`
        (they stay in the span group): precision for recall, no retraining.
    temperature: the entity probabilities are computed with every CRF score
        divided by it (> 1 softens over-confident scores); fit it on held-out
        data (benchmarks/bench_confidence.py --fit-temperature). Decoding
        does not change.
    n_best: also keep the n best analyses of each decoded sequence (each
        sentence, or the whole doc without sentence boundaries), with their
        exact probabilities, as span groups doc.spans["<nbest_key>_0"], ...
        (1: off, today's decoding and speed).
    uncertainty: put the probability of the best analysis, the margin to
        the second and the entropy, per sequence and per doc, in the attrs
        of doc.spans[spans_key] (attrs["uncertainty"]).
    alternatives: put the probability of each entity's span under every
        label in the attrs of doc.spans[spans_key] (attrs["alternatives"]).
    release_memory_every: in training, hand the heap's free memory back to
        the OS every this many updates, and when training switches to
        prediction (an evaluation in `spacy train`) and back (glibc's
        malloc_trim; 0: never). It keeps training memory from growing with
        the steps (see spacy_bilstm_crf.memory); it changes nothing that is
        computed.
    max_predict_words: predict in chunks of whole docs of at most this many
        words (a longer doc is a chunk of its own; 0: no limit). nlp.pipe and
        nlp.evaluate hand the component [nlp] batch_size docs at once (1,000
        by default: all of CoNLL dev), and the model's activations for all of
        them would be alive together; chunks bound that memory. The output is
        the same: docs are predicted independently.
    respect_preset_ents: keep the entities already on the doc (from an
        `entity_ruler` before the component, as spaCy's `ner` does): their
        tokens' tags are fixed in decoding, so the other entities, the
        probabilities and the n best analyses are conditioned on them; a
        label the model does not know leaves its tokens `O` for the model and
        the span as it was. false: the component's own entities replace
        them (pipelines saved before this setting load with true).
    """
    return BiLSTMCRFNER(
        nlp.vocab, model, name, tag_scheme=tag_scheme, spans_key=spans_key,
        threshold=threshold, temperature=temperature, n_best=n_best, nbest_key=nbest_key,
        uncertainty=uncertainty, alternatives=alternatives,
        release_memory_every=release_memory_every, max_predict_words=max_predict_words,
        respect_preset_ents=respect_preset_ents, scorer=scorer,
    )


class BiLSTMCRFNER(TrainablePipe):
    """Tags tokens with BILUO or BIO tags and sets `doc.ents` from them."""

    def __init__(
        self,
        vocab: Vocab,
        model: Model[List[Doc], List[Floats2d]],
        name: str = "bilstm_crf_ner",
        *,
        tag_scheme: str = "BILUO",
        spans_key: Optional[str] = "ents_scored",
        threshold: float = 0.0,
        temperature: float = 1.0,
        n_best: int = 1,
        nbest_key: str = "ents_nbest",
        uncertainty: bool = False,
        alternatives: bool = False,
        release_memory_every: int = 50,
        max_predict_words: int = 20000,
        respect_preset_ents: bool = True,
        scorer: Optional[Callable] = ner_score,
    ) -> None:
        _check_number("threshold", threshold)
        _check_number("temperature", temperature)
        if not isinstance(respect_preset_ents, bool):
            raise ValueError(Errors.E011.format(value=respect_preset_ents))
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(Errors.E007.format(threshold=threshold))
        if not 0.0 < temperature <= MAX_TEMPERATURE:
            raise ValueError(Errors.E009.format(temperature=temperature, max=MAX_TEMPERATURE))
        if threshold > 0.0 and spans_key is None:
            raise ValueError(Errors.E008.format(name=name))
        check_analysis_settings(n_best)
        for setting, value in (("uncertainty", uncertainty), ("alternatives", alternatives)):
            if value and spans_key is None:
                raise ValueError(Errors.E041.format(name=name, setting=setting))
        if n_best > 1 and spans_key is not None and spans_key.startswith(nbest_key + "_"):
            raise ValueError(Errors.E042.format(nbest_key=nbest_key, spans_key=spans_key))
        if isinstance(release_memory_every, bool) or not isinstance(release_memory_every, int) or release_memory_every < 0:
            raise ValueError(Errors.E060.format(value=release_memory_every))
        if isinstance(max_predict_words, bool) or not isinstance(max_predict_words, int) or max_predict_words < 0:
            raise ValueError(Errors.E061.format(value=max_predict_words))
        self.vocab = vocab
        self.model = model
        self.name = name
        self.cfg: Dict = {"labels": [], "tag_scheme": check_scheme(tag_scheme)}
        # Settings of use, not of the trained model: kept out of cfg so that
        # a config override at load time (spacy.load(..., config=...)) wins.
        self.spans_key = spans_key
        self.threshold = threshold
        self.temperature = temperature
        self.n_best = n_best
        self.nbest_key = nbest_key
        self.uncertainty = uncertainty
        self.alternatives = alternatives
        self.release_memory_every = release_memory_every
        self.max_predict_words = max_predict_words
        self.respect_preset_ents = respect_preset_ents
        self._updates = 0
        self._mode: Optional[str] = None  # "update" or "predict": what ran last
        self.scorer = scorer
        self._cache_key: Optional[Tuple] = None
        self._tags: List[str] = []
        self._constraints: Optional[Constraints] = None

    @property
    def labels(self) -> Tuple[str, ...]:
        return tuple(self.cfg["labels"])

    @property
    def label_data(self) -> List[str]:
        return list(self.labels)

    @property
    def tag_scheme(self) -> str:
        return self.cfg["tag_scheme"]

    @property
    def tags(self) -> List[str]:
        self._refresh_tags()
        return self._tags

    @property
    def constraints(self) -> Constraints:
        """Legal transition, start and end masks of the current tag set."""
        self._refresh_tags()
        return self._constraints  # type: ignore[return-value]

    def _refresh_tags(self) -> None:
        key = (self.labels, self.tag_scheme)
        if key != self._cache_key:
            self._tags = get_tags(self.labels, self.tag_scheme)
            masks = allowed_transitions(self._tags, self.tag_scheme)
            self._constraints = tuple(masks)
            self._cache_key = key

    def add_label(self, label: str) -> int:
        _check_label(label)
        if label in self.labels:
            return 0
        output = self.model.get_ref("output")
        if output.has_dim("nO") and output.get_dim("nO") is not None:
            n_tags = output.get_dim("nO")
            raise ValueError(Errors.E004.format(label=label, name=self.name, n_tags=n_tags))
        self.cfg["labels"].append(label)
        self.vocab.strings.add(label)
        return 1

    def predict(self, docs: Iterable[Doc]) -> Decoded:
        """Best valid tag ids per doc, and the entities' probabilities if a
        `spans_key` is set (and the n best analyses, the uncertainty and the
        label alternatives if asked: per doc, one item per decoded
        sequence), in chunks of at most `max_predict_words` words. Does not
        modify the docs."""
        self._switch_mode("predict")
        docs = list(docs)
        chunks = list(chunks_by_words(docs, self.max_predict_words))
        if len(chunks) == 1:
            return self._predict_chunk(chunks[0])
        return concat_decoded([self._predict_chunk(chunk) for chunk in chunks])

    def _predict_chunk(self, docs: List[Doc]) -> Decoded:
        with_scores = (self.tags, self.tag_scheme) if self.spans_key is not None else None
        more = {"n_best": self.n_best, "uncertainty": self.uncertainty, "alternatives": self.alternatives}
        extra = self.n_best > 1 or self.uncertainty or self.alternatives
        if not any(len(doc) for doc in docs):
            if not extra:
                empty = [numpy.zeros((0,), dtype="int32") for _ in docs]
                return Decoded(empty, [e.astype("float32") for e in empty] if with_scores else None)
            scores = [self.model.ops.alloc2f(0, len(self.tags)) for _ in docs]
        else:
            scores = self.model.predict(docs)
        segments = self._segments(docs)
        fixed = self._fixed_tags(docs, segments)
        if fixed is not None:
            scores = mask_scores(self.model, scores, fixed)
        decoded = decode(
            self.model, scores, self.constraints, segments=segments,
            entity_scores=with_scores, temperature=self.temperature, **more,
        )
        return decoded if fixed is None else drop_broken_analyses(decoded, fixed)

    def _fixed_tags(self, docs: List[Doc], segments: Optional[List[List[int]]]) -> Optional[List[numpy.ndarray]]:
        """Per doc, the tags its pre-set entities fix (None when there are none to respect)."""
        if not self.respect_preset_ents or not any(doc.ents for doc in docs):
            return None
        return fixed_tag_ids(docs, self.tags, self.tag_scheme, segments)

    def _segments(self, docs: List[Doc]) -> Optional[List[List[int]]]:
        """Sentence lengths per doc when the model works per sentence: the
        CRF's likelihood and decoding then run per sentence too."""
        if not self.model.attrs.get("sentence_level"):
            return None
        return [sentence_lengths(doc) for doc in docs]

    def set_annotations(self, docs: Iterable[Doc], decoded: Decoded) -> None:
        tags = self.tags
        docs = list(docs)
        for i, (doc, ids) in enumerate(zip(docs, decoded.tag_ids)):
            preset = list(doc.ents) if self.respect_preset_ents else []
            spans = tag_ids_to_spans(doc, ids, tags, self.tag_scheme)
            if decoded.nbest is not None:
                set_nbest_groups(doc, self.nbest_key, self.n_best, decoded.nbest[i], tags, self.tag_scheme)
            if decoded.entity_scores is not None and self.spans_key is not None:
                scores = [float(p) for p in decoded.entity_scores[i]]
                attrs: Dict = {"scores": scores}
                if decoded.alternatives is not None:
                    attrs["alternatives"] = label_alternatives(labels_of(tags), decoded.alternatives[i])
                if decoded.uncertainty is not None:
                    attrs["uncertainty"] = uncertainty_attrs(doc, decoded.uncertainty[i])
                doc.spans[self.spans_key] = SpanGroup(doc, name=self.spans_key, spans=spans, attrs=attrs)
                spans = [span for span, p in zip(spans, scores) if p >= self.threshold]
            doc.set_ents(merge_preset(preset, spans) if preset else spans, default="outside")

    def update(
        self,
        examples: Iterable[Example],
        *,
        drop: float = 0.0,
        sgd=None,
        losses: Optional[Dict[str, float]] = None,
    ) -> Dict[str, float]:
        if losses is None:
            losses = {}
        losses.setdefault(self.name, 0.0)
        examples = list(examples)
        validate_examples(examples, "BiLSTMCRFNER.update")
        if not any(len(eg.predicted) for eg in examples):
            return losses
        self._switch_mode("update")
        set_dropout_rate(self.model, drop)
        scores, backprop = self.model.begin_update([eg.predicted for eg in examples])
        for s in scores:
            if self.model.ops.xp.isnan(s.sum()):
                raise ValueError(Errors.E005.format(name=self.name))
        loss, d_scores = self.get_loss(examples, scores)
        backprop(d_scores)
        if sgd not in (None, False):
            self.finish_update(sgd)
        losses[self.name] += loss
        del scores, backprop, d_scores  # freed before the heap is trimmed
        self._updates += 1
        if self.release_memory_every and self._updates % self.release_memory_every == 0:
            memory.release_free_memory()
        return losses

    def _switch_mode(self, mode: str) -> None:
        """Hand the heap's free memory back when training turns to prediction
        or back: each leaves the other a heap fragmented by blocks of other
        sizes (an evaluation of CoNLL dev left ~150-280 MiB that the next 50
        updates built on; measured in docs/results.md). Inference alone
        never trims."""
        if self._mode is not None and self._mode != mode and self.release_memory_every:
            memory.release_free_memory()
        self._mode = mode

    def get_loss(self, examples: Iterable[Example], scores: List[Floats2d]) -> Tuple[float, List[Floats2d]]:
        """Loss and gradient of the scores. For the CRF this also adds the
        gradient of the transition parameters to the model."""
        examples = list(examples)
        validate_examples(examples, "BiLSTMCRFNER.get_loss")
        gold = gold_tag_ids(examples, self.tags, self.tag_scheme, labels=self.labels, name=self.name)
        if head_of(self.model) is Head.SOFTMAX:
            # Token by token: the sequences do not matter.
            return softmax_loss(self.model, scores, gold)
        segments = self._segments([eg.predicted for eg in examples])
        gold = [
            mask_invalid_gold(g, self.constraints, None if segments is None else segments[i])[0] for i, g in enumerate(gold)
        ]
        return crf_loss(self.model, scores, gold, self.constraints, segments)

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Example]],
        *,
        nlp: Optional[Language] = None,
        labels: Optional[Iterable[str]] = None,
    ) -> None:
        """Set the labels (given, or every entity label in the data, sorted)
        and initialize the model, sizing its output to the tag set."""
        validate_get_examples(get_examples, "BiLSTMCRFNER.initialize")
        if labels is None:
            labels = sorted({ent.label_ for eg in get_examples() for ent in eg.reference.ents})
        self._set_labels(labels)
        if not self.labels:
            raise ValueError(Errors.E002.format(name=self.name))
        self._set_output_size(len(self.tags))
        # A word-embedding layer's vocabulary is every training word, not the sample's.
        set_training_words(self.model, (eg.predicted for eg in get_examples()))
        doc_sample = [eg.reference for eg in islice(get_examples(), 10)]
        self.model.initialize(X=doc_sample)

    def resize_labels(self, labels: Iterable[str]) -> None:
        """Give a trained component a new label set for fine-tuning on another
        corpus ("transfer learning"): the output layer and the CRF get fresh
        weights sized to the new tags; the embeddings and LSTM keep theirs.

        `spacy train` does not re-initialize a component sourced from a
        trained pipeline, so call this (and save) before fine-tuning."""
        labels = list(labels)
        if not labels:
            raise ValueError(Errors.E002.format(name=self.name))
        self._set_labels(labels)
        for layer in self._set_output_size(len(self.tags), reset=True):
            layer.initialize()

    def _set_labels(self, labels: Iterable[str]) -> None:
        """Replace the label set (initialization re-sizes the output anyway)."""
        self.cfg["labels"] = []
        for label in labels:
            _check_label(label)
            if label not in self.cfg["labels"]:
                self.cfg["labels"].append(label)
                self.vocab.strings.add(label)

    def _set_output_size(self, n_tags: int, *, reset: bool = False) -> List[Model]:
        """Size the output layer and the CRF to `n_tags`, dropping their
        weights if they were sized for another tag set (always, with
        `reset`). Returns the layers."""
        layers = [self.model.get_ref(ref) for ref in ("output", "crf") if self.model.has_ref(ref)]
        for layer in layers:
            if reset or layer.maybe_get_dim("nO") not in (None, n_tags):
                for param in layer.param_names:
                    layer.set_param(param, None)
            layer.set_dim("nO", n_tags, force=True)
        return layers


def _check_number(setting: str, value: object) -> None:
    """A number setting given as a string ("0.5") or a bool is refused, not compared."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(Errors.E010.format(setting=setting, value=value, type=type(value).__name__))


def _check_label(label: object) -> None:
    if not isinstance(label, str):
        raise ValueError(Errors.E400.format(label=label))

