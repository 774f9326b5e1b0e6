"""Command-line interface: `python -m spacy_bilstm_crf COMMAND`.

Each command lives in its own module and registers itself on `app` (from
`_app`) when imported; importing them here makes `app` complete.
"""
from . import annotate, convert, distill, vectors  # noqa: F401 -- register the commands
from ._app import app

__all__ = ["app"]
