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

    # E020-E039: character encoders, stacked embeddings, document context.
    E020 = (
        "spacy-bilstm-crf.StackedEmbed.v1 needs at least one part: give each "
        "one its own section, e.g. [components.bilstm_crf_ner.model.tok2vec.*.hash]."
    )

    def format(self, **kwargs) -> str:  # type: ignore[override]
        return f"[{self.name}] " + self.value.format(**kwargs)

    def __str__(self) -> str:
        return f"[{self.name}] {self.value}"
