"""Evaluate trained pipelines on dev: seqeval and spaCy's scorer side by side.

For each model TRAINING_DIR/<model>/model-best, writes METRICS_DIR/<model>.json with:

* entity-level precision/recall/F1, overall and per type, from seqeval in strict
  mode with the IOB2 scheme (an entity counts only if its boundaries and type are
  exact) *and* from spaCy's scorer (`get_ner_prf`, what `nlp.evaluate` reports),
  computed on the same predictions; the script fails if they disagree;
* `nlp.evaluate` on docs re-tokenized from the raw text (the `spacy evaluate`
  number: it differs from the above only where spaCy's tokenizer splits a gold
  entity boundary);
* token accuracy (IOB2 tag with type) - reported only next to entity F1, since
  most tokens are `O` and it flatters every model;
* words/s of `nlp.pipe`, training time (from train_meta.json) and a confusion
  count of entity types with "missed" and "spurious";
* with `--train-path`, the scores on **seen** and **unseen** entities apart: a
  mention is seen when the same text with the same type is an entity in the
  training data (gold mentions for recall, predicted ones for precision). Most
  errors on new text are unseen names, so unseen F1 is dev's best stand-in for
  how a model generalises (Augenstein et al., 2017, "Generalisation in named
  entity recognition").

Predictions for seqeval are made on the gold tokens, so token i of the prediction
is token i of the gold: no alignment guesses.
"""
import functools
import json
import time
import warnings
from collections import Counter
from pathlib import Path
from typing import AbstractSet, Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

import spacy
import typer
from seqeval.metrics import accuracy_score, classification_report
from seqeval.scheme import IOB2
from spacy.language import Language
from spacy.scorer import get_ner_prf
from spacy.tokens import Doc, DocBin
from spacy.training import Example
from spacy.training.corpus import walk_corpus
from spacy.vocab import Vocab
from spacy_bilstm_crf.converters import iob2_tags

# The confusion table's row and column for entities with no counterpart
# (also read by compare.py).
MISSED = "missed"
SPURIOUS = "spurious"
TOLERANCE = 1e-9


def confusion(golds: List[Doc], preds: List[Doc]) -> Dict[str, Dict[str, int]]:
    """Counts[gold type][predicted type] over entities matched by exact boundaries.

    A gold entity with no predicted entity of the same boundaries is `missed`; a
    predicted entity with no gold one of the same boundaries is `spurious` (so a
    boundary error counts once in each).
    """
    counts: Counter = Counter()
    for gold, pred in zip(golds, preds):
        g = {(e.start, e.end): e.label_ for e in gold.ents}
        p = {(e.start, e.end): e.label_ for e in pred.ents}
        for span, label in g.items():
            counts[(label, p.get(span, MISSED))] += 1
        for span, label in p.items():
            if span not in g:
                counts[(SPURIOUS, label)] += 1
    table: Dict[str, Dict[str, int]] = {}
    for (gold_label, pred_label), n in sorted(counts.items()):
        table.setdefault(gold_label, {})[pred_label] = n
    return table


def entity_keys(docs: Iterable[Doc]) -> Set[Tuple[str, str]]:
    """(text, label) of every entity in the docs: what "seen in training" means."""
    return {(ent.text, ent.label_) for doc in docs for ent in doc.ents}


@functools.lru_cache(maxsize=None)
def training_entity_keys(train_path: Path) -> FrozenSet[Tuple[str, str]]:
    """`entity_keys` of a training corpus (a .spacy file or a folder of them, as
    spaCy's Corpus reads it), read once per process however many models are
    scored against it."""
    vocab = Vocab()
    return frozenset(entity_keys(doc for path in walk_corpus(train_path, ".spacy")
                                 for doc in DocBin().from_disk(path).get_docs(vocab)))


def seen_unseen_scores(train_keys: AbstractSet[Tuple[str, str]], golds: List[Doc], preds: List[Doc]) -> Dict:
    """Exact-match entity P/R/F1 on seen and on unseen mentions apart.

    A gold mention counts toward the recall of its group, a predicted one toward
    the precision of its group; the group of a mention is whether its (text,
    label) is in `train_keys`. Mentions match by character offsets and label, so
    the predictions may come from the gold tokens or from the pipeline's own
    tokenizer; a correct prediction has the gold's text and label, so it lands
    in the same group as the gold it matches.
    """
    counts = {group: Counter() for group in ("seen", "unseen")}
    for gold, pred in zip(golds, preds):
        pred_spans = {(e.start_char, e.end_char, e.label_) for e in pred.ents}
        for ents, key in ((gold.ents, "gold"), (pred.ents, "pred")):
            for ent in ents:
                group = "seen" if (ent.text, ent.label_) in train_keys else "unseen"
                counts[group][key] += 1
                if key == "gold" and (ent.start_char, ent.end_char, ent.label_) in pred_spans:
                    counts[group]["correct"] += 1
    scores = {}
    for group, c in counts.items():
        p = c["correct"] / c["pred"] if c["pred"] else 0.0
        r = c["correct"] / c["gold"] if c["gold"] else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        scores[group] = {"p": p, "r": r, "f": f, "gold": c["gold"], "predicted": c["pred"], "correct": c["correct"]}
    return scores


def seqeval_scores(y_true: List[List[str]], y_pred: List[List[str]]) -> Dict:
    """Strict IOB2 entity scores: overall (micro) and per type."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zero division on types never predicted
        report = classification_report(y_true, y_pred, mode="strict", scheme=IOB2,
                                       output_dict=True, zero_division=0)
    micro = report.pop("micro avg")
    per_type = {k: {"p": v["precision"], "r": v["recall"], "f": v["f1-score"], "support": int(v["support"])}
                for k, v in report.items() if not k.endswith(" avg")}
    return {"p": micro["precision"], "r": micro["recall"], "f": micro["f1-score"], "per_type": per_type}


def spacy_scores(examples: List[Example]) -> Dict:
    """spaCy's entity scores (the `spacy.ner_scorer.v1` numbers) on the same predictions."""
    prf = get_ner_prf(examples)
    per_type = {k: {"p": v["p"], "r": v["r"], "f": v["f"]} for k, v in (prf["ents_per_type"] or {}).items()}
    return {"p": prf["ents_p"], "r": prf["ents_r"], "f": prf["ents_f"], "per_type": per_type}


def max_difference(a: Dict, b: Dict) -> float:
    """Largest gap between two score dicts (overall and per type; a type absent from one counts as 0)."""
    gaps = [abs(a[k] - b[k]) for k in ("p", "r", "f")]
    for label in set(a["per_type"]) | set(b["per_type"]):
        x, y = a["per_type"].get(label, {}), b["per_type"].get(label, {})
        gaps += [abs(x.get(k, 0.0) - y.get(k, 0.0)) for k in ("p", "r", "f")]
    return float(max(gaps))


def spacy_evaluate(nlp: Language, examples: Iterable[Example]) -> Dict:
    """`nlp.evaluate` on the examples, timed: its scores plus `eval_seconds`
    and `dev_words` (gold tokens). The one spaCy evaluation of the project and
    the benchmarks (benchmarks/_common.py)."""
    examples = list(examples)
    start = time.perf_counter()
    scores = nlp.evaluate(examples)
    seconds = time.perf_counter() - start
    return {**scores, "eval_seconds": seconds, "dev_words": sum(len(eg.reference) for eg in examples)}


def predict_on_gold_tokens(nlp: Language, golds: List[Doc]) -> Tuple[List[Doc], float]:
    """Run the pipeline on docs with the gold tokens; return them and the words/s."""
    docs = [Doc(nlp.vocab, words=[t.text for t in g], spaces=[bool(t.whitespace_) for t in g]) for g in golds]
    start = time.perf_counter()
    preds = list(nlp.pipe(docs))
    seconds = time.perf_counter() - start
    return preds, sum(len(d) for d in preds) / max(seconds, 1e-9)


def evaluate_model(model_dir: Path, dev_path: Path, train_path: Optional[Path] = None) -> Dict:
    """All metrics of one trained pipeline on the dev DocBin (and on its seen and
    unseen entities apart, given the training DocBin)."""
    nlp = spacy.load(model_dir)
    golds = list(DocBin().from_disk(dev_path).get_docs(nlp.vocab))
    preds, words_per_second = predict_on_gold_tokens(nlp, golds)
    y_true, y_pred = [iob2_tags(g) for g in golds], [iob2_tags(p) for p in preds]
    seq = seqeval_scores(y_true, y_pred)
    spc = spacy_scores([Example(p, g) for p, g in zip(preds, golds)])
    gap = max_difference(seq, spc)
    retokenized = spacy_evaluate(nlp, [Example(nlp.make_doc(g.text), g) for g in golds])
    meta_path = model_dir.parent / "train_meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf8")) if meta_path.exists() else {}
    return {
        "model_dir": str(model_dir),
        "dev": str(dev_path),
        "n_docs": len(golds),
        "n_tokens": sum(len(g) for g in golds),
        "entities": seq,
        "spacy_scorer": spc,
        "seqeval_spacy_max_difference": gap,
        "seqeval_spacy_agree": bool(gap <= TOLERANCE),
        "spacy_evaluate_retokenized": {k: retokenized.get(k) for k in ("ents_p", "ents_r", "ents_f")},
        "token_accuracy": float(accuracy_score(y_true, y_pred)),
        "words_per_second": words_per_second,
        "train_seconds": meta.get("train_seconds"),
        "train_cpu_seconds": meta.get("train_cpu_seconds"),
        "max_steps": meta.get("max_steps"),
        "confusion": confusion(golds, preds),
        "seen_unseen": (seen_unseen_scores(training_entity_keys(train_path), golds, preds)
                        if train_path is not None else None),
    }


def main(
    training_dir: Path = typer.Argument(..., exists=True, file_okay=False, help="Holds <model>/model-best"),
    dev_path: Path = typer.Argument(..., exists=True, dir_okay=False, help="Dev DocBin"),
    metrics_dir: Path = typer.Argument(..., help="Output directory for <model>.json"),
    models: str = typer.Option(..., "--models", help="Comma-separated model names"),
    train_path: Optional[Path] = typer.Option(None, "--train-path", exists=True, dir_okay=False,
                                              help="Training DocBin: also score seen and unseen entities apart"),
) -> None:
    """Evaluate each model on DEV_PATH and write METRICS_DIR/<model>.json; fail if seqeval and spaCy disagree."""
    metrics_dir.mkdir(parents=True, exist_ok=True)
    disagreements = []
    for model in [m.strip() for m in models.split(",") if m.strip()]:
        result = {"model": model, **evaluate_model(training_dir / model / "model-best", dev_path, train_path)}
        (metrics_dir / f"{model}.json").write_text(json.dumps(result, indent=2), encoding="utf8")
        ent = result["entities"]
        typer.echo(f"{model:28s} P {ent['p']:.3f} R {ent['r']:.3f} F1 {ent['f']:.3f} "
                   f"(token acc {result['token_accuracy']:.3f}) {result['words_per_second']:,.0f} words/s; "
                   f"seqeval vs spaCy scorer: max diff {result['seqeval_spacy_max_difference']:.2e}")
        if result["seen_unseen"] is not None:
            seen, unseen = result["seen_unseen"]["seen"], result["seen_unseen"]["unseen"]
            typer.echo(f"{'':28s} F1 on seen entities {seen['f']:.3f} ({seen['gold']} gold), "
                       f"on unseen {unseen['f']:.3f} ({unseen['gold']} gold)")
        if not result["seqeval_spacy_agree"]:
            disagreements.append(model)
    if disagreements:
        typer.echo(f"seqeval and spaCy's scorer disagree for: {', '.join(disagreements)}", err=True)
        raise typer.Exit(1)


if __name__ == "__main__":
    typer.run(main)
