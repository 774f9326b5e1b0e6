"""`python -m spacy_bilstm_crf convert`: a corpus file to a `.spacy` DocBin."""
from pathlib import Path
from typing import Optional

import catalogue
import typer
from wasabi import msg

from ._app import app
from ..converters import FORMATS, ConversionError, Summary, convert_file, parse_label_map
from ..tokenizer import BIOMEDICAL_TOKENIZER

MAX_LISTED = 20


@app.command("convert")
def convert_cli(
    input_path: Path = typer.Argument(..., help="Corpus file to convert", exists=True, dir_okay=False),
    output_path: Path = typer.Argument(..., help="Output .spacy file (a directory with --split)"),
    format: str = typer.Option(..., "--format", "-f", help=f"Input format: {', '.join(FORMATS)}"),
    n_sents: int = typer.Option(10, "--n-sents", "-n", help="Sentences per document where the source has no documents (csv, tsv; conll without -DOCSTART-)"),
    scheme: str = typer.Option("auto", "--scheme", help="Tag scheme of the input: auto, iob1, iob2"),
    label_map: Optional[str] = typer.Option(None, "--label-map", help="Rename entity types, e.g. geo=GEO,per=PER"),
    encoding: Optional[str] = typer.Option(None, "--encoding", help="Input encoding (default auto: strict UTF-8 where the bytes are valid UTF-8, else cp1252; the summary says which)"),
    split: Optional[str] = typer.Option(None, "--split", help="csv: contiguous split by ratios (0.8,0.1,0.1) or sentence id ranges (1-38367,38368-43163); writes OUTPUT/<name>.spacy"),
    split_names: Optional[str] = typer.Option(None, "--split-names", help="Names of the split parts (default train,dev,test)"),
    tokenizer: Optional[str] = typer.Option(None, "--tokenizer", help=f"pubtator: registered tokenizer (@tokenizers) whose tokens are then split at every mention boundary (default {BIOMEDICAL_TOKENIZER}; spaCy's: spacy.Tokenizer.v1)"),
    verbose: bool = typer.Option(False, "--verbose", "-V", help="List every mention kept only in the span group"),
) -> None:
    """Convert a corpus (csv, conll, tsv, pubtator) to spaCy's DocBin format."""
    if format not in FORMATS:
        msg.fail(f"Unknown format {format!r}: choose one of {', '.join(FORMATS)}", exits=1)
    try:
        mapping = parse_label_map(label_map)
        names = split_names.split(",") if split_names else None
        summary = convert_file(
            input_path, output_path, format=format, n_sents=n_sents, scheme=scheme,
            label_map=mapping, encoding=encoding, split=split, split_names=names, tokenizer=tokenizer,
            progress=True,
        )
    except ConversionError as err:
        msg.fail("Conversion failed, nothing written", str(err), exits=1)
    except (ValueError, catalogue.RegistryError) as err:
        msg.fail("Bad option", str(err), exits=1)
    print_summary(summary, verbose=verbose)


def print_summary(summary: Summary, verbose: bool = False) -> None:
    msg.good(f"Converted {summary.input} ({summary.format}) -> {summary.output}")
    for note in summary.notes:
        msg.text(f"  {note}")
    rows = [("documents", summary.documents), ("sentences", summary.sentences), ("tokens", summary.tokens)]
    rows += [(f"entities {label}", n) for label, n in summary.entities.items()]
    rows.append(("entities (all)", summary.n_entities))
    msg.table([(k, f"{v:,}") for k, v in rows], aligns=("l", "r"))
    for name, part in summary.parts.items():
        ents = ", ".join(f"{k} {v:,}" for k, v in part.entities.items())
        msg.text(
            f"  {name}: {part.output}: {part.documents:,} docs, {part.sentences:,} sentences, "
            f"{part.tokens:,} tokens; {ents} ({'; '.join(part.notes)})"
        )
    if summary.mentions:
        msg.text("Mentions read: " + ", ".join(f"{k} {v:,}" for k, v in summary.mentions.items()))
        msg.text(f"Entities written: {summary.n_entities:,}; mentions only in the span group "
                 f"(they overlap an entity): {len(summary.span_group_only):,}")
    if summary.relation_lines_ignored:
        msg.text(f"Relation lines read and ignored: {summary.relation_lines_ignored:,}")
    for name, n in summary.oddities.items():
        msg.warn(f"Tolerated: {name}: {n:,}")
    for warning in summary.warnings:
        msg.warn(warning)
    if summary.span_group_only:
        listed = summary.span_group_only if verbose else summary.span_group_only[:MAX_LISTED]
        for note in listed:
            msg.text(f"  {note}")
        if len(listed) < len(summary.span_group_only):
            msg.text(f"  ... {len(summary.span_group_only) - len(listed):,} more (--verbose lists all)")
