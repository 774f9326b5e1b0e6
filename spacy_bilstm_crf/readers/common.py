"""What the corpus readers share: settings declared once as a dataclass, and
the entity labels a pipeline already has."""
import inspect
from dataclasses import MISSING, fields
from typing import Callable, Iterable, Set, get_type_hints

from spacy.language import Language
from spacy.training import Example


def is_int(value: object) -> bool:
    """An int that is not a bool (a config's `true` must not pass as 1)."""
    return isinstance(value, int) and not isinstance(value, bool)


def signature_of(settings_class: type, returns: object) -> inspect.Signature:
    """A keyword-only signature with the fields of a dataclass, typed and with their defaults."""
    hints = get_type_hints(settings_class)
    params = [
        inspect.Parameter(
            f.name, inspect.Parameter.KEYWORD_ONLY, annotation=hints[f.name],
            default=inspect.Parameter.empty if f.default is MISSING else f.default,
        )
        for f in fields(settings_class)
    ]
    return inspect.Signature(params, return_annotation=returns)


def typed_by(settings_class: type, func: Callable) -> Callable:
    """Give a reader's factory `func` the keyword-only signature (and
    annotations) of the dataclass's fields: what spaCy's registry validates a
    config against, so each setting is declared once."""
    signature = signature_of(settings_class, Callable[[Language], Iterable[Example]])
    func.__signature__ = signature  # type: ignore[attr-defined]
    func.__annotations__ = {name: p.annotation for name, p in signature.parameters.items()}
    func.__annotations__["return"] = signature.return_annotation
    return func


def pipeline_entity_labels(nlp: Language) -> Set[str]:
    """Labels of the pipeline's components that set doc.ents (empty before initialisation)."""
    labels: Set[str] = set()
    for name, pipe in nlp.pipeline:
        if "doc.ents" not in nlp.get_pipe_meta(name).assigns:
            continue
        try:
            labels.update(str(label) for label in getattr(pipe, "labels", ()))
        except (ValueError, KeyError, AttributeError):
            continue
    return labels
