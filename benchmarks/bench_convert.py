"""Converter throughput: our csv conversion of GMB train+dev, our conll
conversion of CoNLL-2003 train, and spaCy's own `spacy convert -c ner` on the
same CoNLL file, measured in one run on one machine.

Prints rows/s and tokens/s for each and, with --append, adds a markdown
section to a results file.

With --gmb-nbsp JSON it instead checks the Kaggle GMB file's first 43,163
sentences (train.csv, then dev.csv without its header) plus one appended
sentence holding a NO-BREAK SPACE token (`5\xa0storm`, as the Kaggle file's
held-back part has): counted exactly (expected counts made here from the raw
rows with the csv module, compared with the converter's report and the
DocBin), timed through `python -m spacy_bilstm_crf convert`, written to JSON.
"""
import csv
import hashlib
import io
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import typer
from spacy.tokens import DocBin
from spacy.vocab import Vocab
from wasabi import msg

from spacy_bilstm_crf.converters import convert_file, docs_to_iob2_tags

from benchmarks._common import (
    DATA, REPO, command, date as now, git_state, machine, machine_line, today, train_dev_files, versions,
)


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


# The sentence appended to GMB train+dev: what the Kaggle file's held-back
# part has (a NO-BREAK SPACE inside a Word), in the file's own cp1252 and CRLF.
NBSP_TOKEN = "5\u00a0storm"
NBSP_ROWS = [("Sentence: 43164", "A", "DT", "O"), ("", NBSP_TOKEN, "NN", "B-eve"), ("", "hit", "VBD", "O"),
             ("", "Dhaka", "NNP", "B-geo"), ("", ".", ".", "O")]
# data/README.md: train = sentences 1-38,367, dev = 38,368-43,163.
README_SENTENCES = 43_163
TARGET_SECONDS = 30.0


def readme_sha256(data: Path, name: str) -> str:
    """The sha256 the data README gives for gmb/<name>."""
    match = re.search(rf"^([0-9a-f]{{64}})  gmb/{re.escape(name)} ", (data / "README.md").read_text("utf8"), re.M)
    if match is None:
        raise SystemExit(f"no sha256 for gmb/{name} in {data / 'README.md'}")
    return match.group(1)


def join_gmb_nbsp(data: Path, out: Path) -> Dict[str, Any]:
    """train.csv + dev.csv (its header dropped) + the NBSP sentence, byte for byte."""
    parts = []
    inputs = {}
    for name in ("train.csv", "dev.csv"):
        raw = (data / "gmb" / name).read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        if digest != readme_sha256(data, name):
            raise SystemExit(f"gmb/{name} is not the file the data README describes (sha256 {digest})")
        inputs[name] = {"bytes": len(raw), "sha256": digest}
        parts.append(raw if not parts else raw.split(b"\r\n", 1)[1])
    appended = "".join(",".join(f'"{f}"' if "," in f else f for f in row) + "\r\n" for row in NBSP_ROWS)
    out.write_bytes(b"".join(parts) + appended.encode("cp1252"))
    assert b"5\xa0storm" in out.read_bytes()
    return inputs


def expected_counts(path: Path) -> Dict[str, Any]:
    """Counts made from the raw rows with the csv module, independently of the
    converter: sentences (rows with 'Sentence: N'), tokens (data rows),
    entities per type counted as conlleval counts chunks, and the words and
    IOB2 tags per sentence (a chunk's first tag is B-)."""
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("cp1252"), newline="")))[1:]
    entities: Dict[str, int] = {}
    words, tags, prev = [], [], None
    n_sents = 0
    for marker, word, _, tag in rows:
        if marker:
            n_sents += 1
            prev = None
            tags.append([])
        words.append(word)
        kind = None if tag == "O" else tag[2:]
        starts = kind is not None and (tag.startswith("B-") or kind != prev)
        if starts:
            entities[kind] = entities.get(kind, 0) + 1
        tags[-1].append(f"B-{kind}" if starts else tag)  # IOB2, as the DocBin holds it
        prev = kind
    return {"sentences": n_sents, "tokens": len(rows), "entities": dict(sorted(entities.items())),
            "words": words, "tags": tags}


def docbin_counts(path: Path) -> Dict[str, Any]:
    docs = list(DocBin().from_disk(path).get_docs(Vocab()))
    entities: Dict[str, int] = {}
    for doc in docs:
        for ent in doc.ents:
            entities[ent.label_] = entities.get(ent.label_, 0) + 1
    return {
        "documents": len(docs),
        "sentences": sum(1 for doc in docs for t in doc if t.is_sent_start),
        "tokens": sum(len(doc) for doc in docs),
        "entities": dict(sorted(entities.items())),
        "words": [t.text for doc in docs for t in doc],
        "tags": docs_to_iob2_tags(docs),
        "nbsp_entities": [(e.text, e.label_) for doc in docs for e in doc.ents if "\u00a0" in e.text],
    }


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def gmb_nbsp(data: Path, out_json: Path, machine_note: str, run_date: str) -> bool:
    """The --gmb-nbsp check; True when every count matches and the run is under target."""
    with tempfile.TemporaryDirectory() as tmp:
        joined, out = Path(tmp) / "ner_dataset_43163_nbsp.csv", Path(tmp) / "gmb.spacy"
        inputs = join_gmb_nbsp(data, joined)
        expected = expected_counts(joined)
        cli = [sys.executable, "-m", "spacy_bilstm_crf", "convert", str(joined), str(out), "--format", "csv"]
        msg.info("python -m spacy_bilstm_crf convert <joined file> --format csv (subprocess)")
        load_before = os.getloadavg()
        child_cpu = cpu_of_children()
        start = time.perf_counter()
        run = subprocess.run(cli, capture_output=True, text=True)
        cli_seconds = time.perf_counter() - start
        cli_cpu = cpu_of_children() - child_cpu
        if run.returncode != 0:
            print(run.stdout, run.stderr)
            raise SystemExit(f"the convert command exited {run.returncode}")
        written = docbin_counts(out)
        msg.info("convert_file (in process: read, build Docs, write)")
        start, start_cpu = time.perf_counter(), time.process_time()
        summary = convert_file(joined, Path(tmp) / "in_process.spacy", format="csv")
        seconds, cpu = time.perf_counter() - start, time.process_time() - start_cpu
        load_after = os.getloadavg()
    report = {"sentences": summary.sentences, "tokens": summary.tokens, "entities": summary.entities}
    checks = {
        "sentences_readme_43163_plus_1": expected["sentences"] == README_SENTENCES + 1,
        "report_equals_raw_rows": report == {k: expected[k] for k in report},
        "docbin_equals_raw_rows": {k: written[k] for k in report} == {k: expected[k] for k in report},
        "docbin_words_equal_raw_words": written["words"] == expected["words"],
        "docbin_tags_equal_raw_tags": written["tags"] == expected["tags"],
        "nbsp_token_kept": written["nbsp_entities"] == [(NBSP_TOKEN, "eve")],
        "encoding_cp1252_no_warning": summary.encoding == "cp1252" and not summary.warnings,
    }
    timing = {
        "cli_wall_under_target": cli_seconds < TARGET_SECONDS,
        "cli_cpu_under_target": cli_cpu < TARGET_SECONDS,
    }
    result = {
        "benchmark": "GMB train+dev joined (the Kaggle file's first 43,163 sentences) + 1 sentence with a "
                     "NO-BREAK SPACE token, converted exactly and timed",
        "command": command(os.path.relpath(__file__, REPO)),
        "timed_command": "python -m spacy_bilstm_crf convert ner_dataset_43163_nbsp.csv gmb.spacy --format csv",
        "date": run_date,
        "git": git_state(),
        "machine": {**machine(), "note": machine_note},
        "versions": versions(),
        "threads": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")},
        "inputs": {**inputs, "appended_rows": [list(row) for row in NBSP_ROWS]},
        "expected_from_raw_rows": {k: expected[k] for k in ("sentences", "tokens", "entities")},
        "converter_report": {**report, "documents": summary.documents, "encoding": summary.encoding,
                             "notes": summary.notes, "oddities": summary.oddities, "warnings": summary.warnings},
        "docbin": {k: written[k] for k in ("documents", "sentences", "tokens", "entities", "nbsp_entities")},
        "seconds": {
            "cli_subprocess_wall": round(cli_seconds, 2), "cli_subprocess_cpu": round(cli_cpu, 2),
            "in_process_convert_file_wall": round(seconds, 2), "in_process_convert_file_cpu": round(cpu, 2),
            "target_cli": TARGET_SECONDS,
            "note": "cpu: user+system seconds of the process; wall depends on the machine's other load",
        },
        "load_average_1_5_15": {"before": [round(x, 2) for x in load_before], "after": [round(x, 2) for x in load_after]},
        "checks": checks,
        "counts_passed": all(checks.values()),
        "timing": timing,
        "passed": all(checks.values()) and all(timing.values()),
    }
    out_json.parent.mkdir(parents=True, exist_ok=True)
    out_json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf8")
    for name, ok in {**checks, **timing}.items():
        (msg.good if ok else msg.fail)(name)
    msg.text(f"cli {cli_seconds:.2f} s wall, {cli_cpu:.2f} s cpu; in process {seconds:.2f} s wall, {cpu:.2f} s cpu; "
             f"load {load_before[0]:.1f} -> {load_after[0]:.1f}; written {out_json}")
    return result["passed"]


def main(
    data: Path = typer.Option(DATA, "--data", help="The shared corpora folder"),
    repeats: int = typer.Option(3, "--repeats", "-r", help="Runs per measurement (best is reported)"),
    append: Optional[Path] = typer.Option(None, "--append", help="Append a '## Converters' section here"),
    machine: str = typer.Option("", "--machine", help="Machine description for the results"),
    date: str = typer.Option(today(), "--date", help="Date for the results"),
    gmb_nbsp_json: Optional[Path] = typer.Option(None, "--gmb-nbsp", help="Instead: check and time GMB train+dev + a NO-BREAK SPACE sentence, write this JSON"),
) -> None:
    if gmb_nbsp_json is not None:
        passed = gmb_nbsp(data, gmb_nbsp_json, machine or machine_line(), now())
        raise typer.Exit(0 if passed else 1)
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
