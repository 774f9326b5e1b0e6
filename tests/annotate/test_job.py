"""What `annotate` checks before any work (job.py), on hostile set-ups: two
jobs on one output, an input that grows while it is read, outputs in the
model directory or behind links, links planted at temporary paths,
`--overwrite` with a model that does not load or run. Nothing is ever lost,
mixed or written through a link; every refusal is a coded message."""
import hashlib
import json
import os
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from helpers.annotate import jsonl, model_with_bomb, read, trained_model, write_lines
from spacy_bilstm_crf.annotate import annotate_local
from spacy_bilstm_crf.annotate import local as local_engine
from spacy_bilstm_crf.annotate.options import AnnotateError
from spacy_bilstm_crf.annotate.ray_engine import annotate_ray
from spacy_bilstm_crf.cli import app
from spacy_bilstm_crf.paths import OutputLock


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return trained_model(tmp_path_factory)


def _tree(directory):
    """Every file under `directory` with its SHA-256."""
    return {p.relative_to(directory).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def _cli(*args):
    """Exit code and message (its lines joined) of `annotate ARGS`."""
    result = CliRunner().invoke(app, ["annotate", *map(str, args)])
    assert "Traceback" not in result.output
    return result.exit_code, " ".join(result.output.split())


def test_two_jobs_on_one_output_one_refused_other_identical_to_a_lone_run(model, tmp_path):
    src = jsonl(tmp_path / "in.jsonl", 200)
    lone = tmp_path / "lone.jsonl"
    annotate_local(model, src, lone, progress=False)
    out = tmp_path / "out.jsonl"
    command = [sys.executable, "-m", "spacy_bilstm_crf", "annotate", str(model), str(src), str(out)]
    jobs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    results = sorted((job.wait(timeout=300), job.stdout.read()) for job in jobs)
    (ok, _), (refused, message) = results
    assert (ok, refused) == (0, 1), results
    assert "E424" in message and "out.jsonl.lock" in message
    assert out.read_bytes() == lone.read_bytes()


def test_a_held_lock_refuses_both_engines_and_a_released_one_never_blocks(model, tmp_path):
    src = jsonl(tmp_path / "in.jsonl", 3)
    out = tmp_path / "out.jsonl"
    with OutputLock(out):
        with pytest.raises(AnnotateError, match=r"E424.*out\.jsonl\.lock"):
            annotate_local(model, src, out, progress=False)
        with pytest.raises(AnnotateError, match=r"E424.*shards\.lock"):
            with OutputLock(tmp_path / "shards"):
                annotate_ray(model, src, tmp_path / "shards")
    assert not out.exists()
    assert annotate_local(model, src, out, progress=False)["complete"]
    # A job killed while holding the lock: the kernel dropped it.
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from spacy_bilstm_crf.paths import OutputLock;"
                               f"OutputLock({str(out)!r}).acquire(); print('held', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(AnnotateError, match="E424"):
        annotate_local(model, src, out, progress=False)
    holder.kill()
    holder.wait()
    assert annotate_local(model, src, out, progress=False)["complete"]


def test_input_is_read_up_to_its_size_at_the_start(model, tmp_path, monkeypatch):
    """Lines appended while the job runs are not read, nor is the half-written
    last line annotated as a document: both are left for the re-run."""
    src = write_lines(tmp_path / "in.jsonl", [json.dumps({"id": i, "text": f"Berlin {i}."}) for i in range(5)])
    with src.open("ab") as f:
        f.write(b'{"id": 5, "text": "Half wri')
    size = src.stat().st_size
    real = local_engine.read_records

    def grows(*args, **kwargs):
        for n, item in enumerate(real(*args, **kwargs)):
            if n == 0:  # the job has started: the writer finishes its line and adds one
                with src.open("ab") as f:
                    f.write(b'tten line."}\n{"id": 6, "text": "Appended."}\n')
            yield item

    monkeypatch.setattr(local_engine, "read_records", grows)
    out = tmp_path / "out.jsonl"
    stats = annotate_local(model, src, out, progress=False)
    assert stats["complete"] and stats["docs"] == 5 and stats["total_rejected"] == 0
    assert [r["id"] for r in read(out)] == [0, 1, 2, 3, 4]
    checkpoint = json.loads((tmp_path / "out.jsonl.progress.json").read_text())
    assert checkpoint["job"]["input"]["size"] == size
    monkeypatch.setattr(local_engine, "read_records", real)
    stats = annotate_local(model, src, out, progress=False)
    assert stats["docs"] == 2 and stats["total_docs"] == 7
    fresh = tmp_path / "fresh.jsonl"
    annotate_local(model, src, fresh, progress=False)
    assert out.read_bytes() == fresh.read_bytes()
    assert read(out)[5]["text"] == "Half written line."


def test_outputs_never_inside_the_model_directory(model, tmp_path):
    before = _tree(model)
    src = jsonl(tmp_path / "in.jsonl", 3)
    link = tmp_path / "model-link"
    link.symlink_to(model, target_is_directory=True)
    cases = [
        [model / "out.jsonl"], [model / "out.jsonl", "--overwrite"], [model / "ner" / "cfg", "--overwrite"],
        [link / "out.jsonl"], [model, "--output-format", "docbin", "--overwrite"],
        [model / "shards", "--output-format", "docbin"],
    ]
    for args in cases:
        code, message = _cli(model, src, *args)
        assert code == 1 and "E420" in message and "model directory" in message, message
    assert _tree(model) == before


def test_outputs_are_never_written_through_links(model, tmp_path):
    src = jsonl(tmp_path / "in.jsonl", 3)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    for name in ("out.jsonl", "out.jsonl.rejects.jsonl", "out.jsonl.progress.json", "out.jsonl.lock"):
        link = tmp_path / name
        link.symlink_to(victim)
        code, message = _cli(model, src, tmp_path / "out.jsonl", "--overwrite")
        assert code == 1 and "E421" in message and name in message, message
        link.unlink()
    assert victim.read_text() == "precious\n"
    loop = tmp_path / "loop.jsonl"
    loop.symlink_to(loop)
    long_name = tmp_path / ("x" * 300 + ".jsonl")
    for output, expected in ((loop, "E421"), (long_name, "E422")):
        code, message = _cli(model, src, output)
        assert code == 1 and expected in message, message


def test_links_and_directories_planted_at_temporary_paths(model, tmp_path):
    """The checkpoint's temporary file has a fresh random name, created
    exclusively: a link planted at the old fixed name `.tmp` is never written
    through, a directory there does not fail the job after thousands of
    lines; a directory at the checkpoint itself is refused before any work."""
    src = jsonl(tmp_path / "in.jsonl", 5)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    out = tmp_path / "out.jsonl"
    (tmp_path / "out.jsonl.progress.json.tmp").symlink_to(victim)
    (tmp_path / "out.jsonl.rejects.jsonl.tmp").mkdir()
    assert annotate_local(model, src, out, progress=False)["complete"]
    assert victim.read_text() == "precious\n"
    other = tmp_path / "other.jsonl"
    (tmp_path / "other.jsonl.progress.json").mkdir()
    for extra in ([], ["--overwrite"]):
        code, message = _cli(model, src, other, *extra)
        assert code == 1 and "E422" in message and "directory" in message, message
    assert not other.exists()
    # A temporary file a killed run left beside the output is removed on the next run.
    stale = tmp_path / ".out.jsonl.progress.json.abc123.tmp"
    stale.write_text("left by a killed run")
    annotate_local(model, src, out, progress=False)
    assert not stale.exists()


def test_overwrite_checks_everything_before_removing_anything(model, tmp_path_factory, tmp_path):
    src = jsonl(tmp_path / "in.jsonl", 5)
    out = tmp_path / "out.jsonl"
    annotate_local(model, src, out, progress=False)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    broken = tmp_path_factory.mktemp("broken")
    (broken / "config.cfg").write_text("[nlp\nlang = en\n")
    always_fails = model_with_bomb(tmp_path_factory, trigger="")
    cases = [
        ([broken], "E314"), ([tmp_path / "no-model"], "E314"), ([always_fails], "E317"),
        ([model, "--n-best", "1000000"], "E316"), ([model, "--batch-size", "0"], "E302"),
    ]
    for (model_arg, *options), expected in cases:
        code, message = _cli(model_arg, src, out, "--overwrite", *options)
        assert code in (1, 2) and expected in message, message
        assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before


def test_a_model_that_fails_on_every_text_is_refused_before_any_work(tmp_path_factory, tmp_path):
    always_fails = model_with_bomb(tmp_path_factory, trigger="")
    src = jsonl(tmp_path / "in.jsonl", 3)
    code, message = _cli(always_fails, src, tmp_path / "out.jsonl")
    assert code == 1, message
    assert "E317" in message and "boom from annotate_test_bomb_pipe on purpose" in message
    assert not (tmp_path / "out.jsonl").exists()
    with pytest.raises(AnnotateError, match="E317"):
        annotate_ray(always_fails, src, tmp_path / "shards")
    assert not list((tmp_path / "shards").iterdir())
