"""Unpack the one CSV member of the GMB/Kaggle `ner_dataset.csv.zip`, checking its CRC."""
import zipfile
from pathlib import Path

import typer

MEMBER = "ner_dataset.csv"


def unpack(archive: Path, output_dir: Path, member: str = MEMBER) -> Path:
    """Extract `member` of `archive` into `output_dir` (zipfile checks the CRC32) and return its path."""
    output_dir.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive) as zf:
        bad = zf.testzip()
        if bad is not None:
            raise ValueError(f"Corrupt member in {archive}: {bad}")
        return Path(zf.extract(member, output_dir))


def main(
    archive: Path = typer.Argument(..., exists=True, dir_okay=False, help="ner_dataset.csv.zip"),
    output_dir: Path = typer.Argument(..., help="Where ner_dataset.csv goes"),
) -> None:
    """Unpack ARCHIVE's ner_dataset.csv into OUTPUT_DIR."""
    path = unpack(archive, output_dir)
    typer.echo(f"Unpacked {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    typer.run(main)
