"""Convert one corpus from assets/ to OUTPUT_DIR/train.spacy and OUTPUT_DIR/dev.spacy.

Corpora (the `corpus` var of project.yml) and the asset files they read:

* bc5cdr_sample: assets/bc5cdr_sample/{train,dev}.tsv (shipped, 300 sentences each)
* bc5cdr:        assets/bc5cdr/{train,devel}.tsv (BC5CDR-IOB)
* conll2003:     assets/conll2003/{train,dev}.txt (eng.train, eng.testa; IOB1)
* gmb:           assets/gmb/ner_dataset.csv.zip, unpacked and split by sentence id:
                 1-38367 train, 38368-43163 dev, 43164-47959 test (held back, written, unused)
"""
from pathlib import Path

import typer
from spacy_bilstm_crf.converters import convert_file

from scripts.catalog import CORPORA
from scripts.unpack import MEMBER, unpack


def convert_corpus(corpus: str, assets_dir: Path, output_dir: Path) -> None:
    """Write OUTPUT_DIR/train.spacy and dev.spacy (and test.spacy for gmb)."""
    if corpus not in CORPORA:
        raise typer.BadParameter(f"Unknown corpus {corpus!r}: choose one of {', '.join(CORPORA)}")
    source = CORPORA[corpus]
    output_dir.mkdir(parents=True, exist_ok=True)
    if source.split is not None:
        csv_path = unpack(assets_dir / source.train, output_dir / "raw")
        summary = convert_file(csv_path, output_dir, format=source.format, split=source.split,
                               split_names=["train", "dev", "test"])
        typer.echo(f"{corpus}: {summary.documents:,} docs, {summary.sentences:,} sentences -> {output_dir}")
        return
    for name, rel in (("train", source.train), ("dev", source.dev)):
        summary = convert_file(assets_dir / rel, output_dir / f"{name}.spacy", format=source.format)
        typer.echo(f"{corpus} {name}: {summary.documents:,} docs, {summary.sentences:,} sentences, "
                   f"{summary.n_entities:,} entities -> {output_dir / f'{name}.spacy'}")


def main(
    corpus: str = typer.Argument(..., help=f"One of: {', '.join(CORPORA)}"),
    assets_dir: Path = typer.Argument(..., exists=True, file_okay=False, help="The project's assets directory"),
    output_dir: Path = typer.Argument(..., help="Directory for train.spacy and dev.spacy"),
) -> None:
    """Convert CORPUS from ASSETS_DIR to DocBin files in OUTPUT_DIR."""
    convert_corpus(corpus, assets_dir, output_dir)


if __name__ == "__main__":
    typer.run(main)
