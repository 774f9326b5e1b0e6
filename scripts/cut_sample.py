"""Cut the embedded BC5CDR-IOB sample: the first N sentences of a two-column
file, byte for byte (whole sentences, each ended by its blank line), so a
full pipeline trains on it offline in a couple of minutes."""
from pathlib import Path

import typer


def cut_sentences(data: bytes, n_sents: int) -> bytes:
    """The bytes up to and including the blank line ending sentence n_sents."""
    pos = 0
    for _ in range(n_sents):
        end = data.find(b"\n\n", pos)
        if end < 0:
            raise ValueError(f"the input has fewer than {n_sents} sentences")
        pos = end + 2
    return data[:pos]


def main(
    input_path: Path = typer.Argument(..., help="BC5CDR-IOB .tsv file", exists=True, dir_okay=False),
    output_path: Path = typer.Argument(..., help="Where to write the sample"),
    n_sents: int = typer.Option(300, "--n-sents", "-n", help="Sentences to keep"),
) -> None:
    sample = cut_sentences(input_path.read_bytes(), n_sents)
    output_path.parent.mkdir(parents=True, exist_ok=True)
    output_path.write_bytes(sample)
    n_tokens = sum(1 for line in sample.split(b"\n") if line.strip())
    typer.echo(f"{output_path}: {n_sents} sentences, {n_tokens} tokens, {len(sample)} bytes")


if __name__ == "__main__":
    typer.run(main)
