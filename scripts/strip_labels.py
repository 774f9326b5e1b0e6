"""Strip the labels from a labelled corpus: its sentences as unlabelled,
pre-tokenized text for `python -m spacy_bilstm_crf distill` (the teacher
labels them afresh).

    python -m scripts.strip_labels ../shared/data/gmb/train.csv gmb_text.txt
    python -m scripts.strip_labels corpus/bc5cdr_sample/train.spacy unlabelled.jsonl

The input is read by the package's converters (`--format` csv: the GMB/Kaggle
csv, conll, tsv: two columns such as BC5CDR-IOB, or spacy: a DocBin), so its
tokens and sentences are exactly those `convert` gives. The output is one
sentence per line with the tokens separated by single spaces, or, for an
output ending in .jsonl, one {"tokens": [...]} object per line (for tokens that
hold a space). It is written whole through a temporary file (never through a
link, never over the input) and replaces an existing file only with --overwrite.
Keep text derived from GMB or CoNLL out of the repository (their licences).
"""
import json
from pathlib import Path
from typing import Iterator, List, Optional

import typer
from spacy.vocab import Vocab

from spacy_bilstm_crf.converters import ConversionError, conll_to_docs, csv_to_docs, read_docbin, tsv_to_docs
from spacy_bilstm_crf.errors import Errors
from spacy_bilstm_crf.paths import PathError, check_distinct, check_not_link, write_atomic

FORMATS = {".csv": "csv", ".tsv": "tsv", ".conll": "conll", ".txt": "conll", ".spacy": "spacy"}


def input_format(path: Path, given: Optional[str]) -> str:
    """`given`, or the format of the suffix (.txt: CoNLL, as the project's assets name it)."""
    fmt = given or FORMATS.get(path.suffix.lower())
    if fmt not in set(FORMATS.values()):
        raise ValueError(Errors.E251.format(value=given or path.suffix, path=path,
                                            choices=", ".join(sorted(set(FORMATS.values())))))
    return fmt


def sentences(path: Path, fmt: str, encoding: Optional[str] = None) -> Iterator[List[str]]:
    """The token lists of every sentence of the corpus, in file order."""
    if fmt == "spacy":
        docs = read_docbin(path, Vocab())
    elif fmt == "csv":
        docs = csv_to_docs(path, encoding=encoding)[0][""]
    else:
        docs = (conll_to_docs if fmt == "conll" else tsv_to_docs)(path, encoding=encoding)[0]
    for doc in docs:
        for sent in (doc.sents if doc.has_annotation("SENT_START") else [doc[:]]):
            if len(sent):
                yield [t.text for t in sent]


def render(path: Path, token_lists: Iterator[List[str]], jsonl: bool) -> bytes:
    """The output file's bytes; E250 for a token the text format cannot hold."""
    lines = []
    for n, tokens in enumerate(token_lists, start=1):
        if jsonl:
            lines.append(json.dumps({"tokens": tokens}, ensure_ascii=False))
            continue
        bad = next((t for t in tokens if len(t.split()) != 1), None)
        if bad is not None:
            raise ValueError(Errors.E250.format(path=path, n=n, token=bad))
        lines.append(" ".join(tokens))
    return "".join(line + "\n" for line in lines).encode("utf8")


def strip_labels(input_path: Path, output_path: Path, *, fmt: Optional[str] = None, encoding: Optional[str] = None,
                 overwrite: bool = False) -> int:
    """Write the sentences of `input_path` to `output_path`; return how many."""
    fmt = input_format(input_path, fmt)
    check_distinct({"input": input_path, "output": output_path})
    check_not_link(output_path, "output")
    if output_path.exists() and not overwrite:
        raise PathError(Errors.E226.format(path=output_path, reason="it exists (pass --overwrite to replace it)"))
    found = list(sentences(input_path, fmt, encoding))
    write_atomic(output_path, render(input_path, iter(found), output_path.suffix.lower() == ".jsonl"), "output")
    return len(found)


def main(
    input_path: Path = typer.Argument(..., exists=True, dir_okay=False, help="Labelled corpus: GMB csv, CoNLL, tsv or .spacy"),
    output_path: Path = typer.Argument(..., help="Unlabelled text to write (.txt: one sentence per line; .jsonl: tokens lists)"),
    format: Optional[str] = typer.Option(None, "--format", "-f", help="csv, conll, tsv or spacy (default: by suffix)"),
    encoding: Optional[str] = typer.Option(None, "--encoding", help="Input encoding (default: UTF-8 where valid, else cp1252)"),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output file"),
) -> None:
    """Write the sentences of a labelled corpus without their labels, for `spacy_bilstm_crf distill`."""
    try:
        n = strip_labels(input_path, output_path, fmt=format, encoding=encoding, overwrite=overwrite)
    except (ConversionError, ValueError) as err:
        typer.echo(f"Nothing written: {err}", err=True)
        raise typer.Exit(1)
    typer.echo(f"Wrote {n:,} unlabelled sentences of {input_path} to {output_path}")


if __name__ == "__main__":
    typer.run(main)
