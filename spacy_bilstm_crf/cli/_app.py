"""The typer app every command registers on (spaCy's `cli/_util.py` pattern):
command modules import it from here, and `cli/__init__.py` imports the
command modules, so no module imports the package that imports it."""
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
