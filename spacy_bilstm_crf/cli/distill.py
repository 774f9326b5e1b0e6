"""`python -m spacy_bilstm_crf distill TEACHER TEXT OUTPUT_DIR`: a teacher
pipeline annotates unlabelled, pre-tokenized text into a silver set for
`spacy-bilstm-crf.SilverCorpus.v1` (the project's `distill` workflow then
trains and evaluates the student)."""
from pathlib import Path
from typing import Optional

import typer
from wasabi import msg

from ._app import app


@app.command("distill")
def distill_cli(
    teacher: Path = typer.Argument(..., help="Trained teacher pipeline folder (its last component that sets doc.ents labels the text)"),
    text: Path = typer.Argument(..., help=(
        "Unlabelled pre-tokenized text: one sentence per line, tokens separated by whitespace (.txt), "
        "JSONL with a 'tokens' list per line (.jsonl), or a DocBin (.spacy, its entities ignored)")),
    output_dir: Path = typer.Argument(..., help="Folder for the silver set (DocBin shards + silver.json): new or empty"),
    input_format: Optional[str] = typer.Option(None, "--input-format", help="text, jsonl or docbin (default: by suffix)"),
    sentences_per_doc: int = typer.Option(3, "--sentences-per-doc", help="Sentences per silver doc (the teacher's context)"),
    shard_size: int = typer.Option(1000, "--shard-size", help="Docs per DocBin shard"),
    batch_size: int = typer.Option(64, "--batch-size", help="Docs per nlp.pipe batch"),
    max_tokens: int = typer.Option(500, "--max-tokens", help="Refuse a line with more tokens (likely not one sentence)"),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace OUTPUT_DIR if it is a silver set, once the new one is written"),
    gpu_id: int = typer.Option(-1, "--gpu-id", "-g", help="GPU id for the teacher, -1 for the CPU"),
) -> None:
    """Make a silver set: TEACHER annotates TEXT into OUTPUT_DIR (DocBin shards and
    the manifest silver.json; with a bilstm_crf_ner teacher, sentence and entity
    probabilities too). Train a student on it with spacy-bilstm-crf.SilverCorpus.v1."""
    from ..silver.distill import make_silver_set

    for name, value, minimum in (("--sentences-per-doc", sentences_per_doc, 1), ("--shard-size", shard_size, 1),
                                 ("--batch-size", batch_size, 1), ("--max-tokens", max_tokens, 1)):
        if value < minimum:
            msg.fail("Bad option", f"{name} must be at least {minimum}, got {value}", exits=1)
    try:
        run = make_silver_set(teacher, text, output_dir, input_format=input_format,
                              sentences_per_doc=sentences_per_doc, shard_size=shard_size, batch_size=batch_size,
                              max_tokens=max_tokens, overwrite=overwrite, gpu_id=gpu_id)
    except ValueError as err:  # every refusal is a coded ValueError naming the path
        msg.fail("Nothing written", str(err), exits=1)
    except OSError as err:
        msg.fail("Nothing written", f"{type(err).__name__}: {err}", exits=1)
    manifest, counts = run.manifest, run.manifest.counts
    msg.good(f"Silver set written to {output_dir}: {counts.docs:,} docs, {counts.sentences:,} sentences, "
             f"{counts.tokens:,} tokens in {len(manifest.shards)} shard(s)")
    if run.text.blank_lines:
        msg.text(f"Skipped {run.text.blank_lines:,} blank lines (or empty docs) of {text}")
    rows = [(f"entities {label}", f"{n:,}") for label, n in counts.entities.items()]
    rows.append(("sentence probabilities", "yes" if manifest.sentence_probabilities else "no (hard labels)"))
    rows.append(("tag scheme", manifest.tag_scheme or "-"))
    rows.append(("teacher words/s", f"{run.words_per_second:,.0f}"))
    msg.table(rows, aligns=("l", "r"))
    msg.text(f"Train on it: [corpora.train] @readers = \"spacy-bilstm-crf.SilverCorpus.v1\", silver_path = \"{output_dir}\"")
