"""Converter throughput: our csv conversion of GMB train+dev, our conll
conversion of CoNLL-2003 train, and spaCy's own `spacy convert -c ner` on the
same CoNLL file, measured in one run on one machine.

Prints rows/s and tokens/s for each and, with --append, adds a markdown
section to a results file.
"""
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Optional, Tuple

import typer
from spacy.tokens import DocBin
from spacy.vocab import Vocab
from wasabi import msg

from spacy_bilstm_crf.converters import convert_file

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATA, REPO, command, machine_line, today, train_dev_files  # noqa: E402


def count_rows(path: Path) -> int:
    """Data rows: non-empty lines, minus a csv header."""
    data = path.read_bytes()
    n = sum(1 for line in data.split(b"\n") if line.strip())
    return n - 1 if path.suffix == ".csv" else n


def timed(label: str, fn, repeats: int):
    best = float("inf")
    result = None
    for i in range(repeats):
        msg.text(f"  {label}: run {i + 1}/{repeats}", show=True)
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main(
    data: Path = typer.Option(DATA, "--data", help="The shared corpora folder"),
    repeats: int = typer.Option(3, "--repeats", "-r", help="Runs per measurement (best is reported)"),
    append: Optional[Path] = typer.Option(None, "--append", help="Append a '## Converters' section here"),
    machine: str = typer.Option("", "--machine", help="Machine description for the results"),
    date: str = typer.Option(today(), "--date", help="Date for the results"),
) -> None:
    gmb = [data / rel for rel in train_dev_files("gmb")]
    conll = data / train_dev_files("conll2003")[0]
    rows_out: List[Tuple[str, int, int, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        msg.info("Our csv converter (in process): GMB train.csv + dev.csv")

        def run_csv():
            return [convert_file(p, out / f"{p.stem}.spacy", format="csv") for p in gmb]

        secs, summaries = timed("csv", run_csv, repeats)
        rows_out.append(("ours csv (GMB train+dev)", sum(count_rows(p) for p in gmb), sum(s.tokens for s in summaries), secs))

        msg.info("Our conll converter (in process): CoNLL-2003 train")
        secs, summary = timed("conll", lambda: convert_file(conll, out / "ours.spacy", format="conll"), repeats)
        rows_out.append(("ours conll (CoNLL-2003 train)", count_rows(conll), summary.tokens, secs))

        ours_cmd = [sys.executable, "-m", "spacy_bilstm_crf", "convert", str(conll), str(out / "ours_cli.spacy"), "--format", "conll"]
        msg.info("Our convert command (subprocess, includes interpreter start): CoNLL-2003 train")
        secs, _ = timed("ours CLI", lambda: subprocess.run(ours_cmd, check=True, capture_output=True), repeats)
        rows_out.append(("ours `convert --format conll` (subprocess)", count_rows(conll), summary.tokens, secs))

        spacy_out = out / "spacy"
        spacy_out.mkdir()
        spacy_cmd = [sys.executable, "-m", "spacy", "convert", str(conll), str(spacy_out), "-c", "ner"]
        msg.info("spaCy's `spacy convert -c ner` (subprocess): CoNLL-2003 train")
        secs, _ = timed("spacy convert", lambda: subprocess.run(spacy_cmd, check=True, capture_output=True), repeats)
        spacy_docs = list(DocBin().from_disk(spacy_out / "train.spacy").get_docs(Vocab()))
        spacy_tokens = sum(len(doc) for doc in spacy_docs)
        rows_out.append(("spaCy `spacy convert -c ner` (subprocess)", count_rows(conll), spacy_tokens, secs))
    lines = [
        "| conversion | rows | tokens | best seconds | rows/s | tokens/s |",
        "|---|---|---|---|---|---|",
    ]
    for label, rows, tokens, secs in rows_out:
        lines.append(f"| {label} | {rows:,} | {tokens:,} | {secs:.2f} | {rows / secs:,.0f} | {tokens / secs:,.0f} |")
    table = "\n".join(lines)
    print(table)
    if append is not None:
        run = command(os.path.relpath(__file__, REPO))
        section = (
            f"\n## Converters\n\n"
            f"Date: {date}. Machine: {machine or machine_line()}. Python {platform.python_version()}.\n"
            f"Command (from the repository root): `{run}`\n\n"
            f"Best of {repeats} runs each, all measured in the same run. `rows` are non-empty lines "
            f"(csv: data rows without the header; conll: token and -DOCSTART- lines). The in-process "
            f"times include reading, building Docs and writing the `.spacy` file; the subprocess times "
            f"also include starting Python and importing spaCy.\n\n{table}\n"
        )
        append.parent.mkdir(parents=True, exist_ok=True)
        with append.open("a", encoding="utf8") as file_:
            file_.write(section)
        msg.good(f"Appended the results to {append}")


if __name__ == "__main__":
    typer.run(main)
