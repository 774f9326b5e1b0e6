"""`python -m spacy_bilstm_crf annotate MODEL INPUT OUTPUT`.

Exit codes: 0 every line annotated; 3 the job finished but some lines were
rejected (see the rejects file); 2 bad options (nothing done); 1 the job was
refused or failed (the message says why; nothing lost)."""
from pathlib import Path
from typing import Any, Dict, Optional

import typer
from wasabi import msg

from ._app import app

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_REJECTS = 0, 1, 2, 3


@app.command("annotate")
def annotate_cli(
    model: Path = typer.Argument(..., help="Trained pipeline directory"),
    input_path: Path = typer.Argument(..., help="Plain text (one doc per line) or JSONL with a 'text' field"),
    output_path: Path = typer.Argument(..., help=(
        "Where the annotations go. --engine local with --output-format jsonl: one JSONL file. "
        "--output-format docbin, or --engine ray: a directory of shards part-NNNNN.spacy (docbin) or "
        "part-NNNNN.jsonl (ray, jsonl). Rejected lines: OUTPUT.rejects.jsonl beside it (local engine), or "
        "part-NNNNN.rejects.jsonl beside each shard (ray)")),
    input_format: Optional[str] = typer.Option(None, "--input-format", help="text or jsonl (default: by suffix)"),
    output_format: str = typer.Option("jsonl", "--output-format", help="jsonl, or docbin (DocBin shards)"),
    engine: str = typer.Option("local", "--engine", help="local, or ray (pip install spacy-bilstm-crf[ray])"),
    batch_size: int = typer.Option(256, "--batch-size", help="Docs per nlp.pipe batch"),
    n_process: Optional[int] = typer.Option(None, "--n-process", help="local: worker processes for nlp.pipe [1]"),
    checkpoint_every: Optional[int] = typer.Option(
        None, "--checkpoint-every", help="local: input lines between resume checkpoints [2000]"),
    shard_size: Optional[int] = typer.Option(None, "--shard-size", help="local, docbin: docs per DocBin shard [10000]"),
    num_workers: Optional[int] = typer.Option(None, "--num-workers", help="ray: worker actors, one pipeline each [2]"),
    chunk_size: Optional[int] = typer.Option(None, "--chunk-size", help="ray: input lines per output shard [20000]"),
    torch_threads: Optional[int] = typer.Option(None, "--torch-threads", help="ray: torch threads per actor [1]"),
    max_line_bytes: int = typer.Option(16 * 1024 * 1024, "--max-line-bytes",
                                       help="Longer input lines are rejected without being read into memory"),
    field_prefix: str = typer.Option("", "--field-prefix",
                                     help="Prefix of the output fields (line, entities), to keep them apart from input fields"),
    non_finite: str = typer.Option("reject", "--non-finite",
                                   help="NaN/Infinity in an input field: reject the line, or write null"),
    overwrite: bool = typer.Option(False, "--overwrite", help="Start afresh: replace the output, checkpoint and rejects"),
    n_best: int = typer.Option(1, "--n-best", help="local: write the N best analyses of each sentence (JSONL 'nbest')"),
    uncertainty: bool = typer.Option(
        False, "--uncertainty", help="local: write the best analysis' probability, margin, entropy (JSONL 'uncertainty')"),
    alternatives: bool = typer.Option(
        False, "--alternatives", help="local: write each entity's probability under every label"),
    uncertain_below: Optional[float] = typer.Option(
        None, "--uncertain-below", help="local: only write docs whose best analysis is less probable than this"),
    silver: bool = typer.Option(
        False, "--silver", help=("docbin: write a silver set (silver docs + silver.json when complete) for "
                                 "spacy-bilstm-crf.SilverCorpus.v1; a bilstm_crf_ner teacher's probabilities are switched on")),
) -> None:
    """Annotate a corpus, streaming, in input order; re-run to resume.

    Exit code: 0 all lines annotated, 3 finished with rejected lines, 2 bad
    options, 1 refused or failed.
    """
    options: Dict[str, Any] = dict(
        input_format=input_format, output_format=output_format, batch_size=batch_size, n_process=n_process,
        checkpoint_every=checkpoint_every, shard_size=shard_size, num_workers=num_workers,
        chunk_size=chunk_size, torch_threads=torch_threads, max_line_bytes=max_line_bytes,
        field_prefix=field_prefix, non_finite=non_finite, overwrite=overwrite, n_best=n_best,
        uncertainty=uncertainty, alternatives=alternatives, uncertain_below=uncertain_below, silver=silver,
    )
    raise typer.Exit(run_annotate(model, input_path, output_path, engine, options))


def run_annotate(model: Path, input_path: Path, output_path: Path, engine: str, options: Dict[str, Any]) -> int:
    """Run the job on `engine`, print the outcome, return the exit code."""
    from ..annotate.options import AnnotateError, AnnotateOptions, OptionError
    from ..paths import PathError

    try:
        AnnotateOptions(engine=engine, **options).validated()
        if engine == "ray":
            from ..annotate.ray_engine import annotate_ray

            stats = annotate_ray(model, input_path, output_path, **options)
        else:
            from ..annotate.local import annotate_local

            stats = annotate_local(model, input_path, output_path, **options)
    except OptionError as err:
        msg.fail("Bad option", str(err))
        return EXIT_USAGE
    except AnnotateError as err:
        msg.fail("annotate refused to start", str(err))
        return EXIT_FAILED
    except PathError as err:
        msg.fail("annotate failed", str(err))
        return EXIT_FAILED
    except OSError as err:
        msg.fail("annotate failed", f"{type(err).__name__}: {err}")
        return EXIT_FAILED
    if stats["resumed_from_line"]:
        msg.info(f"Resumed after line {stats['resumed_from_line']:,}")
    msg.good(f"Annotated {stats['total_docs']:,} docs into {output_path} "
             f"({stats['docs']:,} in this run)")
    if stats.get("total_filtered"):
        msg.info(f"{stats['total_filtered']:,} confident docs left out (--uncertain-below)")
    if stats["total_nulled"]:
        msg.warn(f"{stats['total_nulled']:,} non-finite numbers in input fields written as null")
    if stats["total_rejected"]:
        msg.warn(f"{stats['total_rejected']:,} lines rejected: see {rejects_location(engine, output_path)}")
        return EXIT_REJECTS
    msg.text("0 lines rejected")
    return EXIT_OK


def rejects_location(engine: str, output_path: Path) -> str:
    """The files that hold the rejected lines, as they are on disk: OUTPUT.rejects.jsonl
    (local engine), or the non-empty part-NNNNN.rejects.jsonl shards of OUTPUT (ray)."""
    if engine != "ray":
        return str(output_path.parent / (output_path.name + ".rejects.jsonl"))
    shards = sorted(p.name for p in output_path.glob("part-*.rejects.jsonl") if p.stat().st_size)
    if len(shards) > 3:
        shards = shards[:3] + [f"... ({len(shards)} files)"]
    return f"{', '.join(shards)} in {output_path}"
