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

    # E010-E019: component settings and pre-set entities (issue 32).
    E010 = "{setting} must be a number, got {value!r} (a {type}): write it without quotes, e.g. {setting} = 0.5."
    E011 = "respect_preset_ents must be true or false, got {value!r}."

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

    # E070-E079: the CRF lattice (ml/crf).
    E070 = (
        "The CRF found no allowed tag sequence through {n} sequence(s): the scores rule out every path the "
        "tag scheme allows (e.g. emissions at -inf for every tag the constraints leave at some token)."
    )

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
    # E316-E338: annotate, issue 32 (locks, model probe, bounded n-best).
    E316 = (
        "n_best must be at most {max} (the k-best decoding's time and memory "
        "grow with it), got {n_best}."
    )
    E317 = (
        "The model at {path} loads but fails on a probe text, so it would "
        "reject every line; nothing was written. The error: {error}"
    )


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

    # E220-E239: silver training data (spacy_bilstm_crf.silver) and its reader
    # (spacy-bilstm-crf.SilverCorpus.v1), issue 31.
    E220 = (
        "No silver manifest at {path}: a silver set is a folder of DocBin shards "
        "with the manifest '{name}' beside them (written last, when the set is complete)."
    )
    E221 = "{path}: expected a JSON object (the silver manifest), could not read it: {error}"
    E222 = "{path}: field '{field}' {problem}."
    E223 = (
        "{path}: silver manifest format_version {found!r}; this version of "
        "spacy-bilstm-crf reads {supported}."
    )
    E224 = "{folder}: the silver shard '{shard}' listed in {path} {problem}."
    E225 = (
        "{folder}: DocBin file(s) {names} are not listed in the manifest {path}: the set "
        "is incomplete or mixed with another. Remove them, or rewrite the set."
    )
    E226 = "Refusing to write {path}: {reason}."
    E227 = (
        "The teacher pipeline has no enabled component that sets doc.ents "
        "(components: {names}): it cannot annotate entities."
    )
    E228 = (
        "The teacher '{name}' decoded {n_seq} sequence(s) for a doc of {n_sents} sentence(s): "
        "its model is not sentence-level (or a component re-segmented the doc), so it has no "
        "per-sentence probability. Use sentences_per_doc = 1, or a sentence-level teacher."
    )
    E229 = "{what}: expected {expected}, got {value!r}."
    E230 = (
        "min_sentence_prob = {value} needs the teacher's sentence probabilities, but the "
        "silver set {path} has none (its teacher was not a bilstm_crf_ner component): "
        "set min_sentence_prob = 0."
    )
    E231 = (
        "The silver set {path} was made with labels {silver} but the {against} has "
        "labels {student} (only in the silver: {extra}; missing from the silver: {missing}). "
        "A teacher without a label teaches 'O' for its entities: use silver from a teacher "
        "with the student's labels."
    )
    E232 = (
        "The silver set {path} was made with tag scheme {silver} but the student "
        "'{name}' uses {student}: make the silver with a teacher of the same scheme."
    )
    E233 = "{path}: doc {doc} {problem}."
    E234 = "{path}: expected a folder with DocBin shards and their manifest, {problem}."
    E235 = "The gold corpus at '{path}' yielded no examples (check `limit`, `max_length` and the data)."
    # E240-E259: distill command and annotate --silver (issue 31).
    E240 = "{path}, line {line}: {problem}. Expected {expected}"
    E241 = "{path}, doc {doc}: {problem}. Expected {expected}"
    E242 = "Cannot read the unlabelled text {path}: {error}"
    E243 = (
        "{path} holds no sentence ({n_blank} blank lines or empty docs): expected one pre-tokenized sentence per line "
        "(tokens separated by whitespace)"
    )
    E244 = "Unknown --input-format {value!r}: choose one of {choices} (default: by the file's suffix)"
    E245 = "Cannot load the teacher pipeline {path}: {error}"
    E246 = (
        "--overwrite refused for {path}: {reason}. --overwrite replaces only a silver set (a folder with "
        "silver.json and its silver-NNNNN.spacy shards). Nothing was changed"
    )
    E248 = (
        "--silver writes the teacher's entities and (for a bilstm_crf_ner teacher) its sentence and entity "
        "probabilities, switched on by itself: drop {options}"
    )
    E249 = (
        "Refusing to write a silver set into {path}: it holds {what}, which this job did not write. "
        "Choose a new or empty folder"
    )
    E250 = (
        "{path}: sentence {n} holds the token {token!r}, which contains whitespace: the text output (one sentence "
        "per line, tokens separated by whitespace) cannot keep it. Write JSONL instead (an output ending in .jsonl)"
    )
    E251 = "Unknown --format {value!r} for {path}: choose one of {choices} (default: by the file's suffix)"
    E252 = "--gpu-id {gpu_id}: cannot use that GPU ({error}). Use --gpu-id -1 for the CPU"
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
        "tag scheme's transition constraints (mask them with `mask_invalid_gold`), or take a tag whose "
        "score is -inf at that token."
    )
    # E420-E429: safe paths and writing shared by the commands (paths.py).
    E420 = (
        "The {role} ({path}) is in the {what} ({directory}), which is only "
        "read: nothing is ever written there. Choose a path outside it."
    )
    E421 = (
        "The {role} {path} is a symbolic link: refusing to write through it. "
        "Remove the link, or choose another path."
    )
    E422 = "Cannot use the {role} path {path}: {error}."
    E423 = "Cannot write the {role} {path}: {error}."
    E424 = (
        "Another job is writing {output}: it holds the lock {lock}. Wait for it "
        "to finish (the lock is released when it exits, even if killed), or "
        "choose another output."
    )
    # E470-E489: converters' options (issue 32).
    E470 = "Bad label map item {item!r}: {side} {name!r}: {problem}"
    E471 = "Bad label map: {old!r} is mapped twice ({first!r}, then {second!r}): give each source type once"
    # E450-E459: static vectors from a text file (vectors.py).
    E450 = "{path}:{line}: expected a word and {width} numbers separated by single spaces, found {found} values"
    E451 = "{path}:{line}: expected {width} numbers after the word {word!r}"
    E452 = "{path}:{line}: the word {word!r} already has a vector (each word once)"
    E453 = "{path}: no vectors (expected lines `word v1 ... vN`)"
    E454 = "A vectors table of {rows} rows for {words} words: expected one row per word"
    E455 = "{path}:{line}: expected UTF-8 text ({err})"
    E456 = "{n} repeated word(s) in the vectors' word list: expected each word once"
    # E457-E458, E460-E469: init-vectors refuses bad values, headers, options and outputs (issue 32).
    E457 = (
        "{path}:{line}: the value {value!r} (number {column}) of the word {word!r} is not a finite "
        "float32 number: expected finite numbers (no NaN, Inf or values beyond +-3.4e38)"
    )
    E458 = (
        "{path}:1: the word2vec header says {n_words} words of {width} dimensions, but the file has "
        "{found} words: expected the header's counts to match the file (fix or remove the header)"
    )
    E460 = (
        "{path}:{line}: the word2vec header (line 1) says {width} dimensions, but this line has {found} "
        "values after the word: expected the header's dimension on every line"
    )
    E461 = "Unknown --lang {lang!r}: expected a language code of spaCy (e.g. en, de, nl, xx for multi-language)"
    E462 = "--name is empty: expected the name of the vectors table, e.g. glove_6b_100d"
    E463 = "The output {path} exists and is not a directory ({kind}): expected a new or empty directory"
    E464 = "The output {path} cannot be created: {parent} is not a directory ({kind}), expected a directory there"
    E465 = (
        "The output {path} is a directory that is not empty ({n} entries, e.g. {example!r}): refusing to "
        "write into it. Re-run with --overwrite to replace it, or choose a new or empty directory"
    )
    E466 = (
        "The output {path} is or passes through a symbolic link ({detail}): expected a real directory "
        "path, so nothing is written through a link"
    )
    E467 = (
        "The output {path} has a name of {n} bytes ({name!r}...): the file system allows at most "
        "{limit} bytes per name"
    )
    E468 = "--overwrite refused for {path}: {reason}. Nothing was changed"
    E469 = "Cannot write the output {path}: {error}. Nothing was changed"

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
