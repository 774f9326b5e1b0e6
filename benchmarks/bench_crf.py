"""CRF micro-benchmark.

1. The lattice's Viterbi and likelihood against pytorch-crf at several batch
   sizes and lengths (paths identical with constraints off).
2. With --reference REF: the component's CRF work on a CoNLL-sized batch,
   this tree against git ref REF, the cases alternating in one process
   (CPU time of this process, median and best of --repeats): predict
   (`decoding.decode` with the entity probabilities, n_best = 1, the
   component's default; and with n_best = 5, uncertainty and alternatives)
   over the sentences of CoNLL-2003 dev in chunks of 20,000 words, and
   update (`losses.crf_loss`, value and gradients) over the same sentences
   in batches of 1,000 words, with 17 tags (4 types, BILUO) and a CRF with
   random weights.

    python -m benchmarks.bench_crf --repeats 10
    python -m benchmarks.bench_crf --no-micro --reference 6251a54 --output benchmarks/results/crf/lattice_vs_6251a54.json
"""
import importlib
import io
import json
import statistics
import sys
import tarfile
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional

import numpy
import spacy
import torch
import typer
from torchcrf import CRF
from wasabi import msg

from spacy_bilstm_crf.ml.crf import Lattice, forbid
from spacy_bilstm_crf.pipeline._ner import decoding, losses

REPO = Path(__file__).resolve().parents[1]
CONLL_DEV = REPO.parent / "shared" / "data" / "conll2003" / "dev.txt"


def _best_time(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def micro(repeats: int, n_tags: int) -> List[Dict]:
    """Part 1: the lattice against pytorch-crf."""
    torch.manual_seed(0)
    crf = CRF(n_tags, batch_first=True)
    for p in crf.parameters():
        torch.nn.init.normal_(p)
    params = [p.detach().numpy() for p in (crf.transitions, crf.start_transitions, crf.end_transitions)]
    scores = forbid(params, None)
    rows: List[list] = []
    results = []
    for batch in (1, 32, 128, 512):
        for length in (20, 50, 100):
            lengths = torch.randint(max(1, length // 2), length + 1, (batch,))
            lengths[0] = length
            emissions = torch.randn(batch, length, n_tags)
            tags = torch.randint(0, n_tags, (batch, length))
            mask = torch.arange(length)[None, :] < lengths[:, None]
            flat, gold, lens = emissions[mask].numpy(), tags[mask].numpy(), lengths.numpy()
            with torch.no_grad():
                ours, _ = Lattice(flat, lens, scores).viterbi()
                theirs = crf.decode(emissions, mask)
                same = ours.tolist() == [t for path in theirs for t in path]
                t_ours = _best_time(lambda: Lattice(flat, lens, scores).viterbi(), repeats)
                t_theirs = _best_time(lambda: crf.decode(emissions, mask), repeats)
                l_ours = _best_time(lambda: Lattice(flat, lens, scores).nll(gold), repeats)
            l_theirs = _best_time(lambda: crf(emissions, tags, mask, reduction="sum").backward(), repeats)
            results.append({"batch": batch, "length": length, "identical_paths": same,
                            "decode_ours_ms": t_ours * 1e3, "decode_pytorch_crf_ms": t_theirs * 1e3,
                            "nll_and_gradient_ours_ms": l_ours * 1e3,
                            "nll_and_gradient_pytorch_crf_ms": l_theirs * 1e3})
            rows.append([batch, length, same, f"{t_ours * 1e3:.2f}", f"{t_theirs * 1e3:.2f}",
                         f"{l_ours * 1e3:.2f}", f"{l_theirs * 1e3:.2f}"])
    msg.table(rows, header=["batch", "length", "same paths", "decode ours ms", "decode pytorch-crf ms",
                            "nll+grad ours ms", "nll+grad pytorch-crf ms"], divider=True)
    return results


def reference_modules(ref: str):
    """`decoding` and `losses` of git ref `ref`, imported from a copy of its
    package as `crf_reference` with every __init__.py emptied (so nothing
    is registered twice)."""
    root = Path(tempfile.mkdtemp())
    archive = subprocess.run(["git", "-C", str(REPO), "archive", ref, "spacy_bilstm_crf"], capture_output=True,
                             check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(root)
    package = root / "crf_reference"
    (root / "spacy_bilstm_crf").rename(package)
    for init in package.rglob("__init__.py"):
        init.write_text("", encoding="utf8")
    sys.path.insert(0, str(root))
    return (importlib.import_module("crf_reference.pipeline._ner.decoding"),
            importlib.import_module("crf_reference.pipeline._ner.losses"))


def conll_sentence_lengths(path: Path) -> List[int]:
    lengths, n = [], 0
    for line in path.read_text(encoding="utf8").splitlines():
        if not line.strip() or line.startswith("-DOCSTART-"):
            if n:
                lengths.append(n)
            n = 0
        else:
            n += 1
    return lengths + ([n] if n else [])


def _batches(lengths: List[int], words: int) -> List[List[int]]:
    out, current, n = [], [], 0
    for length in lengths:
        if current and n + length > words:
            out.append(current)
            current, n = [], 0
        current.append(length)
        n += length
    return out + ([current] if current else [])


def alternate(cases: Dict[str, Callable[[], object]], repeats: int) -> Dict[str, Dict[str, float]]:
    """CPU time of this process (median and best, ms) of each case, the
    cases run in turn `repeats` times after one warm-up round."""
    for fn in cases.values():
        fn()
    times: Dict[str, List[float]] = {name: [] for name in cases}
    for _ in range(repeats):
        for name, fn in cases.items():
            start = time.process_time()
            fn()
            times[name].append(time.process_time() - start)
    return {name: {"median_ms": 1e3 * statistics.median(ts), "best_ms": 1e3 * min(ts)} for name, ts in times.items()}


def versus_reference(ref: str, repeats: int) -> Dict:
    """Part 2: this tree's decode and loss against ref's, alternately."""
    old_decoding, old_losses = reference_modules(ref)
    nlp = spacy.blank("en")
    ner = nlp.add_pipe("bilstm_crf_ner")
    nlp.config["initialize"]["components"] = {"bilstm_crf_ner": {"labels": ["LOC", "MISC", "ORG", "PER"]}}
    nlp.initialize()
    crf = ner.model.get_ref("crf")
    rng = numpy.random.default_rng(0)
    for name in crf.param_names:
        crf.set_param(name, rng.normal(size=crf.get_param(name).shape).astype("float32"))
    n_tags = len(ner.tags)
    lengths = conll_sentence_lengths(CONLL_DEV)

    def emissions(sizes: List[int]) -> List[numpy.ndarray]:
        # Peaked like a trained model's: one tag well ahead at most tokens.
        out = []
        for n in sizes:
            em = rng.normal(size=(n, n_tags)).astype("float32") * 2
            em[numpy.arange(n), rng.integers(0, n_tags, size=n)] += 6
            out.append(em)
        return out

    predict = [emissions(sizes) for sizes in _batches(lengths, 20000)]
    update = [emissions(sizes) for sizes in _batches(lengths, 1000)]
    constraints = ner.constraints
    entity = (ner.tags, ner.tag_scheme)
    gold = []
    for scores in update:
        ids = decoding.decode(ner.model, scores, constraints).tag_ids
        for g in ids:
            g[rng.random(len(g)) < 0.1] = -1  # some tags missing
        gold.append(ids)
    more = {"n_best": 5, "uncertainty": True, "alternatives": True}

    def decode_all(module, **kwargs):
        return lambda: [module.decode(ner.model, s, constraints, entity_scores=entity, **kwargs) for s in predict]

    def loss_all(module):
        return lambda: [module.crf_loss(ner.model, s, g, constraints) for s, g in zip(update, gold)]

    out: Dict = {"sentences": len(lengths), "words": sum(lengths), "tags": n_tags,
                 "predict_chunks": len(predict), "update_batches": len(update)}
    for name, cases in (
        ("predict n_best=1 with entity probabilities", {"reference": decode_all(old_decoding),
                                                         "lattice": decode_all(decoding)}),
        ("predict n_best=5, uncertainty, alternatives", {"reference": decode_all(old_decoding, **more),
                                                          "lattice": decode_all(decoding, **more)}),
        ("update: crf_loss (value and gradients)", {"reference": loss_all(old_losses),
                                                    "lattice": loss_all(losses)}),
    ):
        ms = alternate(cases, repeats)
        ms["lattice / reference (median)"] = ms["lattice"]["median_ms"] / ms["reference"]["median_ms"]
        out[name] = ms
        msg.info(f"{name}: {json.dumps(ms)}")
    return out


def main(
    repeats: int = typer.Option(10, help="Timed repetitions per case"),
    n_tags: int = typer.Option(17, help="Number of tags of part 1 (17 = 4 types in BILUO)"),
    threads: int = typer.Option(1, help="torch threads"),
    run_micro: bool = typer.Option(True, "--micro/--no-micro", help="Run part 1 (against pytorch-crf)"),
    reference: Optional[str] = typer.Option(None, help="git ref to compare the component's CRF work with (part 2)"),
    output: Optional[Path] = typer.Option(None, help="Write the results as JSON here"),
) -> None:
    torch.set_num_threads(threads)
    result: Dict = {"command": " ".join(sys.argv), "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "threads": threads}
    if run_micro:
        result["versus_pytorch_crf"] = micro(repeats, n_tags)
    if reference is not None:
        result["versus_reference"] = {"reference": reference, **versus_reference(reference, repeats)}
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(result, indent=2))
        msg.good(f"Wrote {output}")
    if run_micro and not all(r["identical_paths"] for r in result["versus_pytorch_crf"]):
        msg.fail("Paths differ from pytorch-crf", exits=1)


if __name__ == "__main__":
    typer.run(main)
