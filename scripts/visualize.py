"""displaCy HTML of dev documents: gold and predicted side by side, errors marked, entity scores.

For each of the first N dev docs the page shows

* two columns, gold | predicted (the pipeline runs on the gold tokens). Correct entities keep
  their type's colour; errors are relabelled in loud colours: `MISSED <type>` (gold, nothing
  predicted there), `SPURIOUS <type>` (predicted, no gold entity there), `WRONG <pred> (gold
  <type>)` (same boundaries, other type) and `BOUNDARY <type>` (overlaps an entity with other
  boundaries), the last two on both sides;
* a table of the doc's errors;
* the entity probabilities as a displaCy span view of doc.spans["ents_scored"] (spans key
  set by `bilstm_crf_ner`), each label annotated with its score.
"""
import html
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import spacy
import typer
from spacy import displacy
from spacy.tokens import Doc, DocBin, Span

TYPE_COLOURS = ["#a6cee3", "#b2df8a", "#fdbf6f", "#cab2d6", "#ffff99", "#8dd3c7", "#bebada", "#fccde5"]
ERROR_COLOURS = {"MISSED": "#ff4d4d", "SPURIOUS": "#ff9f1c", "WRONG": "#c77dff", "BOUNDARY": "#ffd60a"}
STYLE = """
body { font-family: sans-serif; margin: 1em 2em; }
table.pair { width: 100%; table-layout: fixed; border-collapse: collapse; }
table.pair td { vertical-align: top; width: 50%; padding: 0 0.6em; border-left: 3px solid #ddd; }
table.errors { border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }
table.errors td, table.errors th { border: 1px solid #ccc; padding: 2px 8px; }
.legend span { display: inline-block; padding: 2px 8px; margin: 2px; border-radius: 4px; }
h2 { border-top: 2px solid #888; padding-top: 0.5em; }
"""


def classify(ents: List[Span], others: List[Span]) -> List[Tuple[Span, str]]:
    """Each entity of `ents` against `others`: "ok", "WRONG", "BOUNDARY" or `missing` ("")."""
    exact = {(e.start, e.end): e.label_ for e in others}
    result = []
    for ent in ents:
        label = exact.get((ent.start, ent.end))
        if label == ent.label_:
            result.append((ent, "ok"))
        elif label is not None:
            result.append((ent, "WRONG"))
        elif any(o.start < ent.end and ent.start < o.end for o in others):
            result.append((ent, "BOUNDARY"))
        else:
            result.append((ent, ""))
    return result


def display_label(ent: Span, kind: str, missing: str, other: Optional[str]) -> str:
    if kind == "ok":
        return ent.label_
    if kind == "WRONG":
        return f"WRONG {ent.label_} (gold {other})" if missing == "SPURIOUS" else f"WRONG {other} (gold {ent.label_})"
    return f"{kind or missing} {ent.label_}"


def ent_view(doc: Doc, others: Doc, missing: str) -> Tuple[Dict, List[Tuple[str, Span]]]:
    """displaCy manual data for one side, and its errors."""
    exact = {(e.start, e.end): e.label_ for e in others.ents}
    ents, errors = [], []
    for ent, kind in classify(list(doc.ents), list(others.ents)):
        label = display_label(ent, kind, missing, exact.get((ent.start, ent.end)))
        ents.append({"start": ent.start_char, "end": ent.end_char, "label": label})
        if kind != "ok":
            errors.append((label, ent))
    return {"text": doc.text, "ents": ents, "title": None}, errors


def colours_for(labels: List[str], types: List[str]) -> Dict[str, str]:
    colours = {t: TYPE_COLOURS[i % len(TYPE_COLOURS)] for i, t in enumerate(types)}
    for label in labels:
        if label not in colours:
            colours[label] = ERROR_COLOURS.get(label.split(" ", 1)[0], "#ddd")
    return colours


def span_view(doc: Doc, spans_key: str) -> Optional[Dict]:
    """Manual span-view data: each scored entity labelled with its probability."""
    if spans_key not in doc.spans:
        return None
    group = doc.spans[spans_key]
    scores = group.attrs.get("scores", [None] * len(group))
    spans = [{"start_token": s.start, "end_token": s.end,
              "label": s.label_ if p is None else f"{s.label_} {p:.2f}"} for s, p in zip(group, scores)]
    return {"text": doc.text, "tokens": [t.text for t in doc], "spans": spans}


def render_doc(i: int, gold: Doc, pred: Doc, types: List[str], spans_key: str) -> str:
    gold_data, missed = ent_view(gold, pred, "MISSED")
    pred_data, spurious = ent_view(pred, gold, "SPURIOUS")
    labels = [e["label"] for e in gold_data["ents"] + pred_data["ents"]]
    options = {"colors": colours_for(labels, types)}
    left = displacy.render(gold_data, style="ent", manual=True, options=options)
    right = displacy.render(pred_data, style="ent", manual=True, options=options)
    rows = "".join(
        f"<tr><td>{side}</td><td>{html.escape(label)}</td><td>{html.escape(ent.text)}</td></tr>"
        for side, errs in (("gold", missed), ("predicted", spurious)) for label, ent in errs
    )
    n_errors = len(missed) + len(spurious)
    parts = [
        f"<h2 id='doc{i}'>Dev doc {i}: {len(gold.ents)} gold, {len(pred.ents)} predicted entities, "
        f"{n_errors} marked error{'s' if n_errors != 1 else ''}</h2>",
        f"<table class='pair'><tr><td><h3>Gold</h3>{left}</td><td><h3>Predicted</h3>{right}</td></tr></table>",
        ("<table class='errors'><tr><th>side</th><th>error</th><th>text</th></tr>" + rows + "</table>")
        if rows else "<p>No errors.</p>",
    ]
    scored = span_view(pred, spans_key)
    if scored is not None:
        span_colours = {s["label"]: colours_for([], types).get(s["label"].rsplit(" ", 1)[0], "#ddd")
                        for s in scored["spans"]}
        parts.append(f"<h3>Entity probabilities (doc.spans[\"{spans_key}\"])</h3>")
        parts.append(displacy.render(scored, style="span", manual=True, options={"colors": span_colours}))
    return "\n".join(parts)


def legend(types: List[str]) -> str:
    colours = colours_for([], types)
    items = [f"<span style='background:{colours[t]}'>{html.escape(t)}: correct</span>" for t in types]
    meaning = {"MISSED": "gold entity, nothing predicted there", "SPURIOUS": "predicted, no gold entity there",
               "WRONG": "same boundaries, other type", "BOUNDARY": "overlaps an entity with other boundaries"}
    items += [f"<span style='background:{c}'>{k}: {meaning[k]}</span>" for k, c in ERROR_COLOURS.items()]
    return "<div class='legend'>" + " ".join(items) + "</div>"


def main(
    model: Path = typer.Argument(..., exists=True, file_okay=False, help="Trained pipeline"),
    dev_path: Path = typer.Argument(..., exists=True, dir_okay=False, help="Dev DocBin"),
    output: Path = typer.Argument(..., help="Output HTML file"),
    n_docs: int = typer.Option(8, "--n-docs", help="How many dev docs to show"),
    spans_key: str = typer.Option("ents_scored", "--spans-key", help="Span group with the entity scores"),
) -> None:
    """Render the first N_DOCS dev docs, gold vs predicted, to OUTPUT."""
    nlp = spacy.load(model)
    golds = list(DocBin().from_disk(dev_path).get_docs(nlp.vocab))[:n_docs]
    docs = [Doc(nlp.vocab, words=[t.text for t in g], spaces=[bool(t.whitespace_) for t in g]) for g in golds]
    preds = list(nlp.pipe(docs))
    types = sorted({e.label_ for d in golds + preds for e in d.ents})
    body = [render_doc(i, g, p, types, spans_key) for i, (g, p) in enumerate(zip(golds, preds))]
    page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(str(model))}</title>"
            f"<style>{STYLE}</style></head><body><h1>Gold vs predicted: {html.escape(str(model))}</h1>"
            f"<p>Dev: {html.escape(str(dev_path))}, first {len(golds)} docs.</p>{legend(types)}"
            + "\n".join(body) + "</body></html>")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(page, encoding="utf8")
    typer.echo(f"Wrote {output} ({len(golds)} docs)")


if __name__ == "__main__":
    typer.run(main)
