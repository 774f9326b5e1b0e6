"""A checkpoint is bound to its job and to the output on disk: another input,
model or output option, an output that is missing, shorter, longer or altered,
a corrupt checkpoint, an output that is the input: each refuses with a clear
message, nothing is lost, and `--overwrite` starts afresh."""
import json
import shutil

import pytest
from typer.testing import CliRunner

from helpers.annotate import jsonl, trained_model
from spacy_bilstm_crf.annotate import annotate_local
from spacy_bilstm_crf.annotate.options import AnnotateError
from spacy_bilstm_crf.cli import app

N = 40


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return trained_model(tmp_path_factory)


@pytest.fixture
def job(model, tmp_path):
    """A finished reference run and an interrupted one on the same input."""
    src = jsonl(tmp_path / "x.jsonl", N)
    full = tmp_path / "full.jsonl"
    annotate_local(model, src, full, progress=False)
    out = tmp_path / "out.jsonl"
    stats = annotate_local(model, src, out, progress=False, checkpoint_every=5, max_docs=12)
    assert not stats["complete"]
    return src, out, full


def _run(model, src, out, **kwargs):
    return annotate_local(model, src, out, progress=False, checkpoint_every=5, **kwargs)


def test_other_input_into_same_output_refused_then_overwrite(model, job, tmp_path):
    src, out, _ = job
    other = jsonl(tmp_path / "y.jsonl", N + 3)
    before = out.read_bytes()
    with pytest.raises(AnnotateError, match=r"E310.*made for the input .*x\.jsonl, not .*y\.jsonl"):
        _run(model, other, out)
    assert out.read_bytes() == before
    annotate_local(model, other, tmp_path / "fresh.jsonl", progress=False)
    stats = _run(model, other, out, overwrite=True)
    assert stats["complete"] and stats["resumed_from_line"] == 0
    assert out.read_bytes() == (tmp_path / "fresh.jsonl").read_bytes()


def test_changed_input_refused(model, job):
    src, out, _ = job
    data = src.read_bytes()
    src.write_bytes(data.replace(b"Shaka", b"Shaky", 1))  # same size, consumed prefix differs
    with pytest.raises(AnnotateError, match=r"E310.*the first [\d,]+ bytes of the input changed"):
        _run(model, src, out)
    src.write_bytes(data[:100])
    with pytest.raises(AnnotateError, match=r"E310.*the first [\d,]+ bytes of the input changed"):
        _run(model, src, out)


def test_grown_input_resumes_with_what_was_appended(model, job, tmp_path):
    """An input that only grew since (its consumed prefix unchanged) is
    resumed, finished or not: the re-run annotates the appended lines."""
    src, out, full = job
    _run(model, src, out)  # finish the interrupted job
    with src.open("ab") as f:
        f.write(b'{"id": 99, "text": "appended later"}\n')
    stats = _run(model, src, out)
    assert stats["complete"] and stats["docs"] == 1 and stats["total_docs"] == N + 1
    fresh = tmp_path / "fresh.jsonl"
    annotate_local(model, src, fresh, progress=False)
    assert out.read_bytes() == fresh.read_bytes()


def test_other_model_or_output_options_refused(model, job, tmp_path):
    src, out, _ = job
    other = tmp_path / "model2"
    shutil.copytree(model, other)
    meta = json.loads((other / "meta.json").read_text())
    meta["description"] = "edited"
    (other / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(AnnotateError, match=r"E310.*made with another model"):
        _run(other, src, out)
    with pytest.raises(AnnotateError, match=r"E310.*--non-finite was 'reject', now 'null'"):
        _run(model, src, out, non_finite="null")
    with pytest.raises(AnnotateError, match=r"E310.*--field-prefix was '', now 'ann_'"):
        _run(model, src, out, field_prefix="ann_")
    # Options that do not change the output may differ.
    assert _run(model, src, out, batch_size=7)["complete"]


def test_checkpoint_from_before_an_option_existed_resumes_as_its_default(model, job):
    """A checkpoint written before an output option existed (--silver; here
    --non-finite too) resumes when the option has its default, and refuses
    otherwise."""
    src, out, full = job
    checkpoint = out.parent / (out.name + ".progress.json")
    state = json.loads(checkpoint.read_text())
    del state["job"]["options"]["silver"], state["job"]["options"]["non_finite"]
    checkpoint.write_text(json.dumps(state))
    with pytest.raises(AnnotateError, match=r"E310.*--non-finite was 'reject', now 'null'"):
        _run(model, src, out, non_finite="null")
    assert _run(model, src, out)["complete"]
    assert out.read_bytes() == full.read_bytes()


@pytest.mark.parametrize("damage,expected", [
    ("delete", r"E311.*the output .* is missing"),
    ("truncate", r"E311.*fewer than the"),
    ("alter", r"E311.*differ from those checkpointed"),
    ("replace-longer", r"E311.*differ from those checkpointed"),
    ("delete-rejects", r"E311.*the rejects file .* is missing"),
])
def test_output_that_disagrees_with_checkpoint_is_never_trusted(model, job, damage, expected):
    src, out, full = job
    size = out.stat().st_size
    if damage == "delete":
        out.unlink()
    elif damage == "truncate":
        out.write_bytes(out.read_bytes()[: size // 2])
    elif damage == "alter":
        out.write_bytes(out.read_bytes().replace(b'"id": 1,', b'"id": 7,'))
    elif damage == "replace-longer":
        out.write_bytes(full.read_bytes()[::-1])
    else:
        (out.parent / "out.jsonl.rejects.jsonl").unlink()
    with pytest.raises(AnnotateError, match=expected):
        _run(model, src, out)
    assert b"\0" not in (out.read_bytes() if out.exists() else b"")
    _run(model, src, out, overwrite=True)
    assert out.read_bytes() == full.read_bytes()


def test_tail_written_after_the_checkpoint_is_redone(model, job):
    src, out, full = job
    with out.open("ab") as f:  # an interrupted batch, never checkpointed
        f.write(b'{"line": 999, "text": "torn')
    assert _run(model, src, out)["complete"]
    assert out.read_bytes() == full.read_bytes()


@pytest.mark.parametrize("content", ["{not json", "[]", '{"lines_done": 3, "output_bytes": 10}',
                                     '{"kind": "spacy-bilstm-crf annotate checkpoint", "version": 2}'])
def test_corrupt_checkpoint_refused_with_message(model, job, content):
    src, out, full = job
    (out.parent / "out.jsonl.progress.json").write_text(content)
    result = CliRunner().invoke(app, ["annotate", str(model), str(src), str(out), "--checkpoint-every", "5"])
    assert result.exit_code == 1, result.output
    assert "E309" in result.output and "--overwrite" in result.output
    assert "Traceback" not in result.output


def test_existing_output_without_checkpoint_refused(model, job, tmp_path):
    src, out, full = job
    mine = tmp_path / "mine.jsonl"
    mine.write_text("precious\n")
    with pytest.raises(AnnotateError, match=r"E312.*refusing to overwrite"):
        _run(model, src, mine)
    assert mine.read_text() == "precious\n"
    _run(model, src, mine, overwrite=True)
    assert mine.read_bytes() == full.read_bytes()


def test_finished_job_rerun_changes_nothing(model, job):
    src, _, full = job
    before = full.read_bytes()
    stats = annotate_local(model, src, full, progress=False)
    assert stats["complete"] and stats["docs"] == 0 and stats["total_docs"] == N
    assert full.read_bytes() == before


def test_finished_output_changed_since_is_refused(model, job, tmp_path):
    src, _, full = job
    with full.open("ab") as f:
        f.write(b'{"mine": "added after the run"}\n')
    with pytest.raises(AnnotateError, match=r"E311.*more than the .* of the finished run"):
        annotate_local(model, src, full, progress=False)
    kwargs = dict(output_format="docbin", shard_size=10, progress=False)
    annotate_local(model, src, tmp_path / "shards", **kwargs)
    (tmp_path / "shards" / "part-00009.spacy").write_bytes(b"x")
    with pytest.raises(AnnotateError, match=r"E311.*part-00009.spacy is not part of the finished run"):
        annotate_local(model, src, tmp_path / "shards", **kwargs)


def test_input_is_never_an_output(model, tmp_path):
    src = jsonl(tmp_path / "a.jsonl", 3)
    data = src.read_bytes()
    link = tmp_path / "link.jsonl"
    link.symlink_to(src)
    for output in (src, link, tmp_path / "." / "a.jsonl"):
        result = CliRunner().invoke(app, ["annotate", str(model), str(src), str(output)])
        assert result.exit_code == 1 and "E300" in result.output, result.output
    # The input named like the rejects file or the checkpoint of the output.
    for name in ("o.jsonl.rejects.jsonl", "o.jsonl.progress.json"):
        other = tmp_path / name
        other.write_bytes(data)
        with pytest.raises(AnnotateError, match="E300"):
            annotate_local(model, other, tmp_path / "o.jsonl", progress=False, input_format="jsonl")
    # The input inside a DocBin output directory.
    shards = tmp_path / "shards"
    shards.mkdir()
    inside = shards / "in.jsonl"
    inside.write_bytes(data)
    with pytest.raises(AnnotateError, match="E301"):
        annotate_local(model, inside, shards, progress=False, output_format="docbin")
    assert src.read_bytes() == data and inside.read_bytes() == data


def test_output_location_problems_are_messages(model, tmp_path):
    src = jsonl(tmp_path / "a.jsonl", 3)
    (tmp_path / "dir").mkdir()
    (tmp_path / "file").write_text("x")
    cases = [
        ([str(tmp_path / "dir")], "E306"),
        ([str(tmp_path / "file"), "--output-format", "docbin"], "E307"),
        ([str(tmp_path / "file" / "out.jsonl")], "E308"),
    ]
    result = CliRunner().invoke(app, ["annotate", str(model), str(tmp_path / "missing.jsonl"), "o.jsonl"])
    assert result.exit_code == 1 and "E315" in result.output and "missing.jsonl" in result.output
    for args, code in cases:
        result = CliRunner().invoke(app, ["annotate", str(model), str(src), *args])
        assert result.exit_code == 1 and code in result.output, result.output
        assert "Traceback" not in result.output


def test_docbin_shard_missing_or_altered_is_refused(model, tmp_path):
    src = jsonl(tmp_path / "x.jsonl", N)
    kwargs = dict(output_format="docbin", shard_size=10, checkpoint_every=4, progress=False)
    annotate_local(model, src, tmp_path / "full", **kwargs)
    annotate_local(model, src, tmp_path / "part", max_docs=25, **kwargs)
    shard = tmp_path / "part" / "part-00001.spacy"
    data = shard.read_bytes()
    shard.write_bytes(data[:-1] + b"\0")
    with pytest.raises(AnnotateError, match=r"E311.*part-00001.spacy differs"):
        annotate_local(model, src, tmp_path / "part", **kwargs)
    shard.write_bytes(data)
    annotate_local(model, src, tmp_path / "part", **kwargs)
    for name in sorted(p.name for p in (tmp_path / "full").iterdir()):
        assert (tmp_path / "part" / name).read_bytes() == (tmp_path / "full" / name).read_bytes()
    assert sorted(p.name for p in (tmp_path / "part").iterdir()) == [f"part-0000{i}.spacy" for i in range(4)]
