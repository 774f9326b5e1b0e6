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

    def format(self, **kwargs) -> str:  # type: ignore[override]
        return f"[{self.name}] " + self.value.format(**kwargs)

    def __str__(self) -> str:
        return f"[{self.name}] {self.value}"
