"""How many PubTator mentions fall on token boundaries, per tokenizer.

A mention is on token boundaries when a token starts at its first character and
a token ends at its last one (the text `title + " " + abstract` tokenized as a
whole, as the PubTator converter and a pipeline at inference see it).

    python benchmarks/bench_tokenizer_boundaries.py \
        ../shared/data/bc5cdr/pubtator/CDR_TrainingSet.PubTator.txt \
        ../shared/data/bc5cdr/pubtator/CDR_DevelopmentSet.PubTator.txt \
        --output benchmarks/results/tokenizer_boundaries.json
"""
import json
from pathlib import Path
from typing import Any, Dict, List, Optional

import spacy
import typer

from spacy_bilstm_crf.converters.pubtator import read_pubtator
from spacy_bilstm_crf.converters.inputs import read_text
from spacy_bilstm_crf.converters.report import Summary

TOKENIZERS = {
    "spacy_english": {"@tokenizers": "spacy.Tokenizer.v1"},
    "biomedical": {"@tokenizers": "spacy-bilstm-crf.BiomedicalTokenizer.v1"},
}


def coverage(path: Path, tokenizer: Dict[str, str], n_examples: int) -> Dict[str, Any]:
    nlp = spacy.blank("en", config={"nlp": {"tokenizer": tokenizer}})
    abstracts = read_pubtator(path, read_text(path, "utf-8"), Summary(input=str(path), format="pubtator"))
    total = on = 0
    misses: List[str] = []
    for abstract in abstracts:
        doc = nlp.make_doc(f"{abstract.title} {abstract.abstract}")
        starts = {t.idx for t in doc}
        ends = {t.idx + len(t) for t in doc}
        for m in abstract.mentions:
            total += 1
            if m.start in starts and m.end in ends:
                on += 1
            elif len(misses) < n_examples:
                lo = max(0, m.start - 15)
                misses.append(f"{abstract.pmid} {m.text!r} in {doc.text[lo:m.end + 15]!r}")
    return {"mentions": total, "on_boundaries": on, "percent": round(100 * on / total, 3),
            "examples_missed": misses}


def main(
    paths: List[Path] = typer.Argument(..., help="PubTator files"),
    output: Optional[Path] = typer.Option(None, "--output", help="Write the counts as JSON"),
    examples: int = typer.Option(10, "--examples", help="Missed mentions listed per file and tokenizer"),
) -> None:
    results: Dict[str, Any] = {}
    for path in paths:
        for name, cfg in TOKENIZERS.items():
            res = coverage(path, cfg, examples)
            results.setdefault(path.name, {})[name] = res
            typer.echo(f"{path.name} {name}: {res['on_boundaries']:,}/{res['mentions']:,} = {res['percent']}%")
            for miss in res["examples_missed"]:
                typer.echo(f"    {miss}")
    if output is not None:
        output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    typer.run(main)
