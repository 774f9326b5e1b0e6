"""Error messages, spaCy-style: one enum, codes stable across releases."""
from enum import Enum


class Errors(str, Enum):
    E001 = (
        "Unknown tag scheme '{scheme}'. Choose one of: {choices}."
    )
    E002 = (
        "The component '{name}' has no labels. Train it on data with entities, "
        "or give them in [initialize.components.{name}.labels]."
    )
    E003 = (
        "Gold entity label '{label}' is not one of the component's labels "
        "({labels}). Add it through [initialize.components.{name}.labels] or "
        "train on data that has it."
    )
    E004 = (
        "Cannot add label '{label}' to '{name}': its output layer is already "
        "sized for {n_tags} tags. Re-initialize the component (or call "
        "`resize_labels(labels)`) to change the label set of a trained model."
    )
    E005 = (
        "The model of '{name}' returned NaN scores: the training diverged. "
        "Lower the learning rate or enable gradient clipping."
    )
    E006 = (
        "Architecture '{arch}' got {arg}={value}, expected {expected}."
    )
    E007 = "threshold must be in [0, 1], got {threshold}."
    E008 = (
        "'{name}' has a threshold but no spans_key: the threshold needs the "
        "entity probabilities, which are computed only when spans_key is set."
    )

    E009 = "temperature must be in (0, {max}], got {temperature}."

    # E040-E059: n-best analyses, label alternatives, uncertainty (issue 17).
    E040 = "n_best must be an integer >= 1, got {n_best!r}."
    E041 = (
        "'{name}' has {setting} = true but no spans_key: they are stored in "
        "the attrs of the span group doc.spans[spans_key]. Set a spans_key."
    )
    E042 = (
        "nbest_key '{nbest_key}' would clash with spans_key '{spans_key}': "
        "the n-best groups are doc.spans['{nbest_key}_0'], ... Choose another."
    )
    E043 = "--uncertain-below must be in (0, 1], got {value}."
    E044 = (
        "{model} has no '{factory}' component: --n-best, --uncertainty, "
        "--alternatives and --uncertain-below need one."
    )
    E045 = (
        "--n-best, --uncertainty, --alternatives and --uncertain-below run "
        "with the local engine only (got --engine {engine})."
    )

    # E060-E069: training memory (issue 18).
    E060 = "release_memory_every must be an integer >= 0 (0: never), got {value!r}."
    E061 = "max_predict_words must be an integer >= 0 (0: no limit), got {value!r}."

    # annotate (issue 21): E300-E339
    E300 = (
        "The {a} and the {b} are the same file ({path} and {other}): the run "
        "would destroy what it reads. Choose another {b}."
    )
    E301 = (
        "The {role} ({path}) lies inside the {dir_role} directory ({directory}), "
        "which is written into. Move it, or choose another {dir_role}."
    )
    E302 = "--{option} must be an integer >= {minimum}, got {value}."
    E303 = "--{option} must be one of {choices}, got '{value}'."
    E304 = (
        "--{option} applies only with --{other} {allowed}; it is refused with "
        "--{other} {actual} rather than silently ignored."
    )
    E305 = (
        "--engine ray writes JSONL shards only: --output-format {value} needs "
        "--engine local."
    )
    E306 = (
        "The output {path} is a directory, but --output-format jsonl writes one "
        "file. Give a file path, or use --output-format docbin for a directory "
        "of shards."
    )
    E307 = (
        "The output {path} is a file, but --{what} writes a directory of shards "
        "there. Give a directory path (new or existing)."
    )
    E308 = "Cannot write the output at {path}: {error}."
    E309 = (
        "{path} is not a valid annotate checkpoint ({reason}). Delete it, or "
        "re-run with --overwrite to start afresh."
    )
    E310 = (
        "{path} is the checkpoint of another job: {differences}. Re-run with "
        "--overwrite to start afresh (the output is rewritten), or choose "
        "another output."
    )
    E311 = (
        "{path} does not agree with the output on disk: {problem}. The output "
        "cannot be resumed safely; re-run with --overwrite to start afresh."
    )
    E312 = (
        "{path} already exists but no checkpoint of an earlier run is beside it "
        "({checkpoint}): refusing to overwrite it. Re-run with --overwrite to "
        "replace it, or choose another output."
    )
    E313 = (
        "Line {line} of {path}: the input field '{field}' would be overwritten "
        "by annotate's output field of the same name. Rename the input field, "
        "or move annotate's fields with --field-prefix (e.g. --field-prefix _)."
    )
    E314 = "Cannot load the model at {path}: {error}"
    E315 = "Cannot read the input {path}: it is not a file."


    # E020-E039: character encoders, stacked embeddings, document context.
    E020 = (
        "spacy-bilstm-crf.StackedEmbed.v1 needs at least one part: give each "
        "one its own section, e.g. [components.bilstm_crf_ner.model.tok2vec.*.hash]."
    )

    # E101-E199: the oversampling reader (spacy-bilstm-crf.OversamplingCorpus.v1).
    E101 = "Corpus path can't be None: set `path` in [corpora.train] (e.g. `path = ${{paths.train}}`)."
    E102 = "No {file_type} files found at '{path}': the oversampling reader needs DocBin training data."
    E103 = "Unknown oversampling strategy '{strategy}'. Choose one of: {choices}."
    E104 = "target_share must be in (0, 1] (a share of the most frequent type's count), got {value}."
    E105 = (
        "temperature must be >= 1 (1 keeps the counts, 2 is sqrt smoothing, larger "
        "flattens more), got {value}."
    )
    E106 = "max_copies must be an integer >= 1 (extra copies one example may get), got {value}."
    E107 = "unshuffled_head must be an integer >= 0, got {value}."
    E108 = "`types` is an empty list: give at least one type, or null to oversample all types."
    E109 = (
        "Unknown entity type '{label}' named in `types`: it has no entities in '{path}' "
        "and is no label of the pipeline. Types in the data: {found}."
    )
    E110 = (
        "Impossible target for entity type '{label}': it is a pipeline label but has no "
        "entities in '{path}', so there is no example to repeat. Drop it from `types`."
    )
    E111 = "The corpus at '{path}' yielded no examples (check `limit`, `max_length` and the data)."

    # E200-E219: word embeddings, SGD with momentum and the per-epoch schedule (issue 30).
    E200 = (
        "spacy-bilstm-crf.WordEmbed.v1 has width = {width}, but the pipeline's vectors (paths.vectors) "
        "have {n} columns: set the layer's width to {n}, its rows start from those vectors."
    )
    E201 = "spacy-bilstm-crf.WordEmbed.v1 reads vectors by word, which vectors of mode '{mode}' cannot do: use 'default' vectors."
    E202 = "{name}: {arg} = {value!r}, expected {expected}."
    E203 = (
        "spacy-bilstm-crf.WordEmbed.v1 has width = null (the width of the pipeline's vectors), but the "
        "pipeline has no vectors: set paths.vectors (e.g. a folder made by `init-vectors`) or give a width."
    )

    # E400-E439: codes given by the layout refactor (issue 16) to raises that had none.
    E400 = "Only strings can be added as labels, not {label!r}."
    E401 = "A bidirectional LSTM needs an even width, got {nO}."
    E402 = "Dropout rate must be in [0, 1), got {rate}."
    E403 = "Bad label map item {item!r}: expected OLD=NEW, e.g. geo=GEO"
    E404 = "Bad split name {name!r}: expected a plain file name (no '/', '..' or empty)"
    E405 = "Bad split {spec!r}: give at least 2 parts, e.g. 0.8,0.1,0.1"
    E406 = "Bad split range {item!r}: expected FIRST-LAST sentence ids"
    E407 = "Bad split {spec!r}: ranges overlap"
    E408 = "Bad split {spec!r}: expected ratios (0.8,0.1,0.1) or sentence id ranges (1-100,101-120)"
    E409 = "Bad split {spec!r}: ratios must be positive and sum to 1"
    E410 = "Give names for the {n} split parts"
    E411 = "Expected {n} distinct split names, got {names}"
    E412 = "n_sents must be at least 1, got {n_sents}"
    E413 = "Unknown tag scheme {scheme!r}: choose one of {choices}"
    E414 = "Unknown format {format!r}: choose one of {choices}"
    E415 = "--split is only supported for the csv format"
    E416 = "--tokenizer is only used by the pubtator format (the others keep the source's tokens)"
    E417 = (
        "The CRF likelihood found no allowed path through {n} sequence(s): the gold tags break the "
        "tag scheme's transition constraints (mask them with `mask_invalid_gold`), or the scores of "
        "every allowed tag are over 700 below a forbidden one's."
    )
    # E450-E459: static vectors from a text file (vectors.py).
    E450 = "{path}:{line}: expected a word and {width} numbers separated by single spaces, found {found} values"
    E451 = "{path}:{line}: expected {width} numbers after the word {word!r}"
    E452 = "{path}:{line}: the word {word!r} already has a vector (each word once)"
    E453 = "{path}: no vectors (expected lines `word v1 ... vN`)"
    E454 = "A vectors table of {rows} rows for {words} words: expected one row per word"
    E455 = "{path}:{line}: expected UTF-8 text ({err})"
    E456 = "{n} repeated word(s) in the vectors' word list: expected each word once"

    def format(self, **kwargs) -> str:  # type: ignore[override]
        return f"[{self.name}] " + self.value.format(**kwargs)

    def __str__(self) -> str:
        return f"[{self.name}] {self.value}"


class Warnings(str, Enum):
    # W101-W199: the oversampling reader.
    W101 = (
        "training.max_epochs is -1, so spaCy streams the corpus and shuffles nothing, "
        "but the oversampling reader has shuffle = false: every epoch will be the same "
        "sample with all copies at the end. Set shuffle = true in [corpora.train]."
    )

    def format(self, **kwargs) -> str:  # type: ignore[override]
        return f"[{self.name}] " + self.value.format(**kwargs)
