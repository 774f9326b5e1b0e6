"""CRF micro-benchmark: our batched Viterbi and likelihood against pytorch-crf.

Checks that the paths are identical (constraints off) and times both at
several batch sizes and lengths.

    python benchmarks/bench_crf.py --repeats 20
"""
import json
import time
from pathlib import Path
from typing import Callable, List, Optional

import torch
import typer
from torchcrf import CRF
from wasabi import msg

from spacy_bilstm_crf.ml.crf import crf_nll, lengths_to_mask, viterbi_decode


def _best_time(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(
    repeats: int = typer.Option(10, help="Timed repetitions per case (best is kept)"),
    n_tags: int = typer.Option(17, help="Number of tags (17 = 4 types in BILUO)"),
    threads: int = typer.Option(1, help="torch threads"),
    output: Optional[Path] = typer.Option(None, help="Write the results as JSON here"),
) -> None:
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    crf = CRF(n_tags, batch_first=True)
    for p in crf.parameters():
        torch.nn.init.normal_(p)
    trans, start, end = crf.transitions, crf.start_transitions, crf.end_transitions
    rows: List[list] = []
    results = []
    cases = [(b, n) for b in (1, 32, 128, 512) for n in (20, 50, 100)]
    with typer.progressbar(cases, label="cases") as progress:
        for batch, length in progress:
            lengths = torch.randint(max(1, length // 2), length + 1, (batch,))
            lengths[0] = length
            emissions = torch.randn(batch, length, n_tags)
            tags = torch.randint(0, n_tags, (batch, length))
            mask = lengths_to_mask(lengths, length)
            with torch.no_grad():
                ours, _ = viterbi_decode(emissions, lengths, trans, start, end)
                theirs = crf.decode(emissions, mask)
            same = [ours[i, : lengths[i]].tolist() for i in range(batch)] == theirs
            with torch.no_grad():
                t_ours = _best_time(lambda: viterbi_decode(emissions, lengths, trans, start, end), repeats)
                t_theirs = _best_time(lambda: crf.decode(emissions, mask), repeats)
                gold = tags.masked_fill(~mask, -1)
                l_ours = _best_time(lambda: crf_nll(emissions, gold, lengths, trans, start, end), repeats)
                l_theirs = _best_time(lambda: crf(emissions, tags, mask, reduction="sum"), repeats)
            results.append(
                {"batch": batch, "length": length, "identical_paths": same,
                 "decode_ours_ms": t_ours * 1e3, "decode_pytorch_crf_ms": t_theirs * 1e3,
                 "nll_ours_ms": l_ours * 1e3, "nll_pytorch_crf_ms": l_theirs * 1e3}
            )
            rows.append([batch, length, same, f"{t_ours * 1e3:.2f}", f"{t_theirs * 1e3:.2f}",
                         f"{t_theirs / t_ours:.1f}x", f"{l_ours * 1e3:.2f}", f"{l_theirs * 1e3:.2f}"])
    header = ["batch", "length", "same paths", "decode ours ms", "decode pytorch-crf ms",
              "decode speed-up", "nll ours ms", "nll pytorch-crf ms"]
    msg.table(rows, header=header, divider=True)
    if output is not None:
        output.write_text(json.dumps(results, indent=2))
    if not all(r["identical_paths"] for r in results):
        msg.fail("Paths differ from pytorch-crf", exits=1)


if __name__ == "__main__":
    typer.run(main)
