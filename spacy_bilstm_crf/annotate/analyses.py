"""`annotate --n-best/--uncertainty/--alternatives`: load the pipeline with
those component settings, and turn what the component puts in the doc
(span groups and their attrs, see `pipeline.analyses`) into JSON fields with
character offsets."""
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import spacy
from spacy import registry
from spacy.language import Language
from spacy.tokens import Doc

from ..errors import Errors
from ..pipeline._ner.analyses import check_analysis_settings
from ..pipeline.ner import make_bilstm_crf_ner
from .io import OutputFields


def factory_names() -> List[str]:
    """The names under which the component's factory is registered."""
    return sorted(name for name, func in registry.factories.get_all().items() if func is make_bilstm_crf_ner)


def default_spans_key(factory: str) -> str:
    """The factory's default spans_key, where the scores go."""
    return Language.get_factory_meta(factory).default_config["spans_key"]


@dataclass
class Analyses:
    """What to write beside the entities; `uncertain_below` keeps only the
    docs whose best analysis is less probable than it."""

    n_best: int = 1
    uncertainty: bool = False
    alternatives: bool = False
    uncertain_below: Optional[float] = None

    def fields(self) -> Tuple[str, ...]:
        """The logical names of the record fields these analyses add."""
        names = ("nbest",) if self.n_best > 1 else ()
        if self.uncertainty or self.uncertain_below is not None:
            names += ("uncertainty",)
        return names

    @property
    def wanted(self) -> bool:
        return self.n_best != 1 or self.uncertainty or self.alternatives or self.uncertain_below is not None

    def check(self) -> None:
        """ValueError for a setting out of bounds (the component's own check)."""
        check_analysis_settings(self.n_best, self.uncertain_below)


def load_pipeline(model: Path, analyses: Analyses) -> Tuple[Language, Optional[Any]]:
    """The pipeline, with the settings `analyses` needs on its (first)
    `bilstm_crf_ner` (scores switched on where the saved config has none),
    and that component (None if nothing extra is asked)."""
    if not analyses.wanted:
        return spacy.load(model), None
    analyses.check()
    config = spacy.util.load_config(Path(model) / "config.cfg")
    factories = factory_names()
    names = [name for name, block in config["components"].items() if block.get("factory") in factories]
    if not names:
        raise ValueError(Errors.E044.format(model=model, factory=" or ".join(factories)))
    settings: Dict[str, Any] = {"n_best": analyses.n_best}
    if analyses.uncertainty or analyses.uncertain_below is not None:
        settings["uncertainty"] = True
    if analyses.alternatives:
        settings["alternatives"] = True
    if (settings.get("uncertainty") or analyses.alternatives) and config["components"][names[0]].get("spans_key") is None:
        settings["spans_key"] = default_spans_key(config["components"][names[0]]["factory"])
    nlp = spacy.load(model, config={"components": {names[0]: settings}})
    return nlp, nlp.get_pipe(names[0])


def _chars(doc: Doc, start: int, end: int) -> Tuple[int, int]:
    if start >= end:
        char = doc[start].idx if start < len(doc) else len(doc.text)
        return char, char
    return doc[start].idx, doc[end - 1].idx + len(doc[end - 1])


def _entity(span) -> Dict[str, Any]:
    return {"text": span.text, "start": span.start_char, "end": span.end_char, "label": span.label_}


def best_probability(doc: Doc, component) -> Optional[float]:
    group = doc.spans.get(component.spans_key) if component.spans_key else None
    if group is None or "uncertainty" not in group.attrs:
        return None
    return group.attrs["uncertainty"]["best_probability"]


def add_analyses(out: Dict[str, Any], doc: Doc, component, analyses: Analyses,
                 names: OutputFields = OutputFields()) -> Dict[str, Any]:
    """Add "nbest", "uncertainty" and each entity's "alternatives" to the
    JSON record `out` (from `io.doc_to_json`), as asked, under the output
    field names `names`."""
    group = doc.spans.get(component.spans_key) if component.spans_key else None
    if analyses.alternatives and group is not None:
        alternatives = {(s.start_char, s.end_char, s.label_): alt for s, alt in zip(group, group.attrs["alternatives"])}
        for item in out[names.name("entities")]:
            key = (item["start"], item["end"], item["label"])
            if key in alternatives:
                item["alternatives"] = alternatives[key]
    if analyses.n_best > 1:
        groups = [doc.spans[f"{component.nbest_key}_{r}"] for r in range(component.n_best)]
        sequences: List[Dict[str, Any]] = []
        for i, (start, end) in enumerate(groups[0].attrs["sequences"]):
            first, last = _chars(doc, start, end)
            options = [
                {"probability": round(g.attrs["probabilities"][i], 6),
                 "entities": [_entity(s) for s in g if start <= s.start < end]}
                for g in groups
                if g.attrs["probabilities"][i] is not None
            ]
            sequences.append({"start": first, "end": last, "analyses": options})
        out[names.name("nbest")] = sequences
    if (analyses.uncertainty or analyses.uncertain_below is not None) and group is not None:
        unc = group.attrs["uncertainty"]
        sentences = []
        for seq in unc["sequences"]:
            first, last = _chars(doc, seq["start"], seq["end"])
            sentences.append({"start": first, "end": last,
                              **{k: round(seq[k], 6) for k in ("best_probability", "margin", "entropy")}})
        out[names.name("uncertainty")] = {**{k: round(unc[k], 6) for k in ("best_probability", "margin", "entropy")},
                              "sentences": sentences}
    return out
