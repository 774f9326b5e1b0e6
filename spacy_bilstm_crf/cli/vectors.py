"""`python -m spacy_bilstm_crf init-vectors`: a vectors text file to a folder for `paths.vectors`."""
from pathlib import Path

import typer
from wasabi import msg

from ._app import app
from ..output_dir import OutputDirError, check_output_dir, write_output_dir
from ..vectors import VectorsFormatError, check_lang, check_vectors_name, read_vectors, vectors_pipeline


@app.command("init-vectors")
def init_vectors_cli(
    input_path: Path = typer.Argument(..., help="Vectors text file: `word v1 ... vN` per line (GloVe, fastText .vec)", exists=True, dir_okay=False),
    output_dir: Path = typer.Argument(..., help="Folder to write (a blank pipeline holding the vectors): new or empty"),
    name: str = typer.Option(..., "--name", "-n", help="Name of the vectors table, e.g. glove_6b_100d"),
    lang: str = typer.Option("en", "--lang", help="Language of the blank pipeline"),
    cased_forms_: bool = typer.Option(True, "--cased-forms/--no-cased-forms", help="Give each word's Capitalised and UPPER forms its vector (for lower-cased vectors such as GloVe)"),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace OUTPUT_DIR if it is a spaCy pipeline directory (e.g. an earlier init-vectors output); only once the new one is written"),
) -> None:
    """Convert word vectors for configs/bilstm_crf_vectors.cfg (like `spacy init vectors`, which cannot
    make lower-cased vectors such as GloVe reach "Paris" or "EU" in spaCy 3.8)."""
    try:  # Everything that can be checked is checked before the file is read.
        check_vectors_name(name)
        check_lang(lang)
        check_output_dir(output_dir, overwrite=overwrite, inputs={"vectors file": input_path})
    except ValueError as err:
        msg.fail("Nothing written", str(err), exits=1)
    try:
        words, table, bom = read_vectors(input_path)
    except VectorsFormatError as err:
        msg.fail("Cannot read the vectors, nothing written", str(err), exits=1)
    except OSError as err:
        msg.fail("Cannot read the vectors, nothing written", f"{input_path}: {err.strerror or err}", exits=1)
    nlp = vectors_pipeline(words, table, name=name, lang=lang, add_cased_forms=cased_forms_)
    n_forms = len(nlp.vocab.vectors.key2row) - len(words)
    try:
        write_output_dir(output_dir, nlp.to_disk, replace=overwrite)
    except OutputDirError as err:
        msg.fail("Nothing written", str(err), exits=1)
    msg.good(f"Read {len(words):,} vectors of {table.shape[1]} dimensions from {input_path}")
    if bom:
        msg.text(f"Stripped 1 UTF-8 byte order mark (BOM) from the start of {input_path}")
    msg.text(f"Keys: {len(words):,} words" + (f" + {n_forms:,} cased forms on their lower case's row" if cased_forms_ else ""))
    msg.good(f"Saved to {output_dir}: use it as paths.vectors (--paths.vectors {output_dir})")
