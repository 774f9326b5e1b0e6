"""Command-line interface: `python -m spacy_bilstm_crf COMMAND`.

Each command lives in its own module and registers itself on `app` when imported.
"""
import typer

app = typer.Typer(
    name="spacy_bilstm_crf",
    help="Tools for spacy-bilstm-crf: corpus converters and more.",
    no_args_is_help=True,
    add_completion=False,
)



@app.callback()
def main() -> None:
    """spacy-bilstm-crf command-line tools."""


# Commands register on import; keep these imports at the bottom.
from . import annotate, convert, vectors  # noqa: E402,F401
