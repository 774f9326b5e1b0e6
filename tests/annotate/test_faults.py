"""Fault injection and soak.

A run killed with SIGKILL at several random points, and resumed each time,
ends with output byte-identical to an uninterrupted run (local engine, JSONL
and DocBin; Ray engine). A soak run over a few thousand lines, a fixed share
of them hostile, annotates every good line once and rejects every bad one
once, in order."""
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import List

import pytest

from helpers.annotate import assert_same_records, read, text_of, trained_model, write_lines
from spacy_bilstm_crf.annotate import annotate_local
from spacy_bilstm_crf.annotate.options import AnnotateError
from spacy_bilstm_crf.annotate.ray_engine import annotate_ray


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return trained_model(tmp_path_factory)


def corpus(path: Path, n: int) -> Path:
    """`n` JSONL lines, every 50th bad (so rejects are resumed too)."""
    lines = [json.dumps({"id": i, "text": text_of(i)}) if i % 50 != 7 else '{"id": %d, "text": ' % i
             for i in range(n)]
    return write_lines(path, lines)


def _start(args: List[str]) -> subprocess.Popen:
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    return subprocess.Popen([sys.executable, "-m", "spacy_bilstm_crf", "annotate", *map(str, args)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True, env=env)


def _kill_session(proc: subprocess.Popen) -> None:
    """SIGKILL the run and every process it started (Ray's too): all share its session."""
    ps = subprocess.run(["ps", "-eo", "pid=,sid="], capture_output=True, text=True).stdout.split("\n")
    pids = [int(p) for p, s in (line.split() for line in ps if line.strip()) if int(s) == proc.pid]
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(timeout=60)


def _kill_after_checkpoints(args: List[str], checkpoint: Path, n: int, delay: float,
                            sig: int = signal.SIGKILL) -> bool:
    """Run until the checkpoint was written `n` times by this run (a resumed
    run's existing checkpoint does not count), then `delay` seconds more
    (mid-batch), then send `sig` (SIGKILL: to the whole session). False if
    the run finished first."""
    seen, last = 0, checkpoint.stat().st_mtime_ns if checkpoint.exists() else None
    proc = _start(args)
    while proc.poll() is None:
        stamp = checkpoint.stat().st_mtime_ns if checkpoint.exists() else None
        if stamp != last and stamp is not None:
            seen, last = seen + 1, stamp
        if seen >= n:
            time.sleep(delay)
            break
        time.sleep(0.002)
    if proc.poll() is not None:
        assert proc.returncode in (0, 3), proc.stderr.read().decode()
        return False
    if sig != signal.SIGKILL:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pass
    _kill_session(proc)
    return True


def _tree(path: Path) -> dict:
    if path.is_file():
        return {"": path.read_bytes()}
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())}


def _kill_resume_compare(model, src, tmp_path, out_name, extra, max_checkpoints, seed, kills=3,
                         signals=(signal.SIGKILL,)):
    reference = tmp_path / ("ref-" + out_name)
    proc = _start([model, src, reference, *extra])
    assert proc.wait(timeout=600) in (0, 3), proc.stderr.read().decode()
    out = tmp_path / out_name
    checkpoint = tmp_path / (out_name + ".progress.json")
    rng = random.Random(seed)
    killed, done = 0, 0
    # Kill at checkpoints spread over the whole input: each run resumes where
    # the last one stopped, so it waits for the difference.
    for i, n in enumerate(sorted(rng.sample(range(1, max_checkpoints), kills))):
        killed += _kill_after_checkpoints([model, src, out, *extra], checkpoint, n - done, rng.uniform(0, 0.05),
                                          signals[i % len(signals)])
        done = n
    proc = _start([model, src, out, *extra])
    assert proc.wait(timeout=600) in (0, 3), proc.stderr.read().decode()
    assert killed >= kills - 1
    assert _tree(out) == _tree(reference)
    rejects = out_name + ".rejects.jsonl"
    if (tmp_path / rejects).exists():
        assert (tmp_path / rejects).read_bytes() == (tmp_path / ("ref-" + rejects)).read_bytes()
    return reference


# Several annotate processes (Ray: a cluster each), each importing torch and spaCy: the
# 300 s hang guard of setup.cfg is too short on a loaded 2-core machine.
@pytest.mark.timeout(1200)
@pytest.mark.parametrize("output_format", ["jsonl", "docbin"])
def test_killed_at_random_points_then_resume_is_byte_identical_local(model, tmp_path, output_format):
    """JSONL: SIGINT, SIGTERM, then SIGKILL; DocBin: SIGKILL three times."""
    src = corpus(tmp_path / "in.jsonl", 400)
    extra = ["--checkpoint-every", "20", "--batch-size", "8", "--output-format", output_format]
    if output_format == "docbin":
        extra += ["--shard-size", "90"]
    signals = (signal.SIGINT, signal.SIGTERM, signal.SIGKILL) if output_format == "jsonl" else (signal.SIGKILL,)
    # The last two checkpoints are kept clear of kills: a run that ends first kills nothing.
    _kill_resume_compare(model, src, tmp_path, "out", extra, 400 // 20 - 2, seed=21 + len(output_format),
                         signals=signals)


# Several annotate processes (Ray: a cluster each), each importing torch and spaCy: the
# 300 s hang guard of setup.cfg is too short on a loaded 2-core machine.
@pytest.mark.timeout(1200)
def test_ray_matches_local_and_resumes_byte_identical_after_sigkill(model, tmp_path):
    """Ray runs are slow to start: one test covers Ray's output (same records
    as the local engine, shards of --chunk-size lines, rejects per shard) and
    its resume after SIGKILL at two random points."""
    pytest.importorskip("ray", reason="ray is pinned in requirements.txt; install it to run this")
    src = corpus(tmp_path / "in.jsonl", 160)
    extra = ["--engine", "ray", "--num-workers", "1", "--chunk-size", "40", "--batch-size", "16"]
    reference = _kill_resume_compare(model, src, tmp_path, "out", extra, 160 // 40, seed=5, kills=2)
    annotate_local(model, src, tmp_path / "local.jsonl", progress=False)
    names = sorted(p.name for p in reference.iterdir())
    assert names == [f"part-0000{i}{suffix}" for i in range(4) for suffix in (".jsonl", ".rejects.jsonl")]
    rows = [row for name in names if not name.endswith("rejects.jsonl") for row in read(reference / name)]
    assert_same_records(rows, read(tmp_path / "local.jsonl"))
    rejects = [row for name in names if name.endswith("rejects.jsonl") for row in read(reference / name)]
    assert rejects == read(tmp_path / "local.jsonl.rejects.jsonl")
    # The same guarantees for Ray's shards, checked before Ray starts.
    options = dict(num_workers=1, chunk_size=40, batch_size=16)
    shard = reference / "part-00002.jsonl"
    shard.write_bytes(shard.read_bytes()[:-2] + b"\n")
    with pytest.raises(AnnotateError, match=r"E311.*part-00002.jsonl differs"):
        annotate_ray(model, src, reference, **options)
    other = corpus(tmp_path / "other.jsonl", 30)
    with pytest.raises(AnnotateError, match=r"E310.*made for the input"):
        annotate_ray(model, other, reference, **options)
    with pytest.raises(AnnotateError, match=r"E310.*--chunk-size was 40, now 50"):
        annotate_ray(model, src, reference, **{**options, "chunk_size": 50})
    with pytest.raises(AnnotateError, match="E301"):
        annotate_ray(model, reference / "part-00000.jsonl", reference, **options)


def hostile_line(i: int, kind: int) -> bytes:
    """Line i made bad in one of six ways."""
    if kind == 0:
        return json.dumps({"id": i, "text": "far too long " * 200}).encode()
    if kind == 1:
        return b'{"id": %d, "text": "unterminated' % i
    if kind == 2:
        return b'{"id": %d, "text": "lone \\udc80 surrogate"}' % i
    if kind == 3:
        return b'{"id": %d, "text": "latin-1 caf\xe9"}' % i
    if kind == 4:
        return json.dumps({"id": i, "text": ["not", "a", "string"]}).encode()
    return b'{"id": %d, "text": "Berlin.", "x": -Infinity}' % i


def test_soak_hostile_lines_each_rejected_once_good_ones_annotated_once(model, tmp_path):
    n, share = 3000, 10  # every 10th line hostile, six kinds in turn
    bad = {i for i in range(n) if i % share == 3}
    lines = [hostile_line(i, (i // share) % 6) if i in bad else json.dumps({"id": i, "text": text_of(i)}).encode()
             for i in range(n)]
    src = tmp_path / "soak.jsonl"
    src.write_bytes(b"\n".join(lines) + b"\n")
    out = tmp_path / "out.jsonl"
    kwargs = dict(progress=False, max_line_bytes=2000, checkpoint_every=250, batch_size=64)
    first = annotate_local(model, src, out, max_docs=1500, **kwargs)  # interrupted halfway
    second = annotate_local(model, src, out, **kwargs)
    assert not first["complete"] and second["complete"]
    rows, rejects = read(out), read(tmp_path / "out.jsonl.rejects.jsonl")
    assert [r["line"] - 1 for r in rows] == [i for i in range(n) if i not in bad]
    assert all(r["id"] == r["line"] - 1 for r in rows)
    assert [r["line"] - 1 for r in rejects] == sorted(bad)
    assert second["total_docs"] == n - len(bad) and second["total_rejected"] == len(bad)
    kinds = {"line longer than", "not a JSON line", "lone surrogate", "not valid UTF-8", "string field 'text'",
             "non-finite number -inf"}
    assert {k for k in kinds for r in rejects if k in r["error"]} == kinds
