"""`python -m spacy_bilstm_crf annotate MODEL INPUT OUTPUT`."""
from pathlib import Path
from typing import Optional

import typer
from wasabi import msg

from ..annotate.analyses import Analyses
from ..errors import Errors
from . import app


@app.command("annotate")
def annotate_cli(
    model: Path = typer.Argument(..., help="Trained pipeline (directory or installed package path)"),
    input_path: Path = typer.Argument(..., help="Plain text (one doc per line) or JSONL with a 'text' field",
                                      exists=True, dir_okay=False),
    output_path: Path = typer.Argument(..., help="JSONL file, or a directory of DocBin shards"),
    input_format: Optional[str] = typer.Option(None, "--input-format", help="text or jsonl (default: by suffix)"),
    output_format: str = typer.Option("jsonl", "--output-format", help="jsonl or docbin"),
    n_process: int = typer.Option(1, "--n-process", help="Worker processes for nlp.pipe"),
    batch_size: int = typer.Option(256, "--batch-size", help="Docs per nlp.pipe batch"),
    shard_size: int = typer.Option(10000, "--shard-size", help="Docs per DocBin shard"),
    checkpoint_every: int = typer.Option(2000, "--checkpoint-every", help="Docs between resume checkpoints"),
    engine: str = typer.Option("local", "--engine", help="local, or ray (pip install spacy-bilstm-crf[ray])"),
    num_workers: int = typer.Option(2, "--num-workers", help="ray: worker actors (one pipeline each)"),
    n_best: int = typer.Option(1, "--n-best", help="Write the N best analyses of each sentence (JSONL 'nbest')"),
    uncertainty: bool = typer.Option(False, "--uncertainty",
                                     help="Write the best analysis' probability, margin, entropy (JSONL 'uncertainty')"),
    alternatives: bool = typer.Option(False, "--alternatives",
                                      help="Write each entity's probability under every label"),
    uncertain_below: Optional[float] = typer.Option(
        None, "--uncertain-below", help="Only write docs whose best analysis is less probable than this"),
) -> None:
    """Annotate a corpus, streaming, in input order; re-run to resume."""
    analyses = Analyses(n_best, uncertainty, alternatives, uncertain_below)
    try:
        analyses.check()
    except ValueError as err:
        msg.fail(str(err), exits=1)
    if analyses.wanted and engine != "local":
        msg.fail(Errors.E045.format(engine=engine), exits=1)
    if engine == "ray":
        from ..annotate.ray_engine import annotate_ray

        stats = annotate_ray(model, input_path, output_path, input_format=input_format,
                             num_workers=num_workers, batch_size=batch_size)
    elif engine == "local":
        from ..annotate.local import annotate_local

        stats = annotate_local(
            model, input_path, output_path, input_format=input_format, output_format=output_format,
            n_process=n_process, batch_size=batch_size, shard_size=shard_size,
            checkpoint_every=checkpoint_every, analyses=analyses,
        )
    else:
        msg.fail(f"Unknown engine '{engine}': expected local or ray", exits=1)
    msg.good(f"Annotated {stats['docs']} docs into {output_path}; {stats['rejected']} lines rejected"
             + (f" (see {output_path.name}.rejects.jsonl)" if stats["rejected"] else "")
             + (f"; {stats['filtered']} confident docs left out" if stats.get("filtered") else ""))
