"""`python -m spacy_bilstm_crf init-vectors`: a vectors text file to a folder for `paths.vectors`."""
from pathlib import Path

import typer
from wasabi import msg

from ._app import app
from ..vectors import VectorsFormatError, read_vectors_text, vectors_pipeline


@app.command("init-vectors")
def init_vectors_cli(
    input_path: Path = typer.Argument(..., help="Vectors text file: `word v1 ... vN` per line (GloVe, fastText .vec)", exists=True, dir_okay=False),
    output_dir: Path = typer.Argument(..., help="Folder to write (a blank pipeline holding the vectors)"),
    name: str = typer.Option(..., "--name", "-n", help="Name of the vectors table, e.g. glove_6b_100d"),
    lang: str = typer.Option("en", "--lang", help="Language of the blank pipeline"),
    cased_forms_: bool = typer.Option(True, "--cased-forms/--no-cased-forms", help="Give each word's Capitalised and UPPER forms its vector (for lower-cased vectors such as GloVe)"),
) -> None:
    """Convert word vectors for configs/bilstm_crf_vectors.cfg (like `spacy init vectors`, which cannot
    make lower-cased vectors such as GloVe reach "Paris" or "EU" in spaCy 3.8)."""
    try:
        words, table = read_vectors_text(input_path)
    except VectorsFormatError as err:
        msg.fail("Cannot read the vectors, nothing written", str(err), exits=1)
    nlp = vectors_pipeline(words, table, name=name, lang=lang, add_cased_forms=cased_forms_)
    n_forms = len(nlp.vocab.vectors.key2row) - len(words)
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output_dir)
    msg.good(f"Read {len(words):,} vectors of {table.shape[1]} dimensions from {input_path}")
    msg.text(f"Keys: {len(words):,} words" + (f" + {n_forms:,} cased forms on their lower case's row" if cased_forms_ else ""))
    msg.good(f"Saved to {output_dir}: use it as paths.vectors (--paths.vectors {output_dir})")
