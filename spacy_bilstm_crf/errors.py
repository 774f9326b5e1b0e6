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

    def format(self, **kwargs) -> str:  # type: ignore[override]
        return f"[{self.name}] " + self.value.format(**kwargs)

    def __str__(self) -> str:
        return f"[{self.name}] {self.value}"
