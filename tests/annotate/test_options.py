"""`annotate` checks its options before any work: a bad one is refused with
a clear message and exit code 2, and nothing is written."""
import pytest
from typer.testing import CliRunner

from spacy_bilstm_crf.annotate.options import AnnotateOptions, OptionError
from spacy_bilstm_crf.cli import app


@pytest.fixture
def paths(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "Shaka Khan lives in Berlin."}\n', encoding="utf8")
    return tmp_path / "no-model-needed", src, tmp_path / "out.jsonl"


@pytest.mark.parametrize("args,expected", [
    (["--batch-size", "0"], "--batch-size must be an integer >= 1, got 0"),
    (["--n-process", "0"], "--n-process must be an integer >= 1, got 0"),
    (["--checkpoint-every", "-5"], "--checkpoint-every must be an integer >= 1, got -5"),
    (["--output-format", "docbin", "--shard-size", "0"], "--shard-size must be an integer >= 1"),
    (["--max-line-bytes", "0"], "--max-line-bytes must be an integer >= 1"),
    (["--output-format", "parquet"], "--output-format must be one of jsonl, docbin, got 'parquet'"),
    (["--input-format", "csv"], "--input-format must be one of text, jsonl, got 'csv'"),
    (["--engine", "spark"], "--engine must be one of local, ray, got 'spark'"),
    (["--non-finite", "zero"], "--non-finite must be one of reject, null"),
    (["--num-workers", "4"], "--num-workers applies only with --engine ray; it is refused with --engine local"),
    (["--chunk-size", "10"], "--chunk-size applies only with --engine ray"),
    (["--torch-threads", "2"], "--torch-threads applies only with --engine ray"),
    (["--engine", "ray", "--n-process", "2"], "--n-process applies only with --engine local"),
    (["--engine", "ray", "--checkpoint-every", "10"], "--checkpoint-every applies only with --engine local"),
    (["--engine", "ray", "--num-workers", "0"], "--num-workers must be an integer >= 1, got 0"),
    (["--shard-size", "10"], "--shard-size applies only with --output-format docbin"),
    (["--field-prefix", "te", "--input-format", "text"], None),  # accepted: 'teline', 'teentities'
])
def test_bad_options_refused_before_any_work(paths, args, expected):
    model, src, out = paths
    result = CliRunner().invoke(app, ["annotate", str(model), str(src), str(out), *args])
    if expected is None:  # a good option: it gets as far as loading the (missing) model
        assert result.exit_code == 1 and "E314" in result.output
        return
    assert result.exit_code == 2, result.output
    assert expected in " ".join(result.output.split())
    assert not out.exists() and not out.with_name("out.jsonl.progress.json").exists()


def test_defaults_resolve_per_engine(tmp_path):
    local = AnnotateOptions().resolve(tmp_path / "a.jsonl")
    assert (local.n_process, local.checkpoint_every, local.num_workers, local.shard_size) == (1, 2000, None, None)
    assert local.input_format == "jsonl"
    ray = AnnotateOptions(engine="ray").resolve(tmp_path / "a.txt")
    assert (ray.n_process, ray.num_workers, ray.chunk_size, ray.input_format) == (None, 2, 20000, "text")
    docbin = AnnotateOptions(output_format="docbin").resolve(tmp_path / "a.txt")
    assert docbin.shard_size == 10000
    # Options that change the output are bound into the checkpoint; the others are not.
    assert set(local.output_binding()) == {"input_format", "output_format", "shard_size", "chunk_size",
                                           "max_line_bytes", "field_prefix", "non_finite", "n_best",
                                           "uncertainty", "alternatives", "uncertain_below", "silver"}


# The Ray engine refuses what it does not do, before importing ray: exit code 2
# even where ray is not installed.
@pytest.mark.parametrize("args,expected", [
    (["--n-process", "2"], "--n-process applies only with --engine local; it is refused with --engine ray"),
    (["--checkpoint-every", "10"], "--checkpoint-every applies only with --engine local"),
    (["--shard-size", "10"], "--shard-size applies only with --engine local; it is refused with --engine ray"),
    (["--output-format", "docbin", "--shard-size", "10"], "--shard-size applies only with --engine local"),
    (["--n-best", "3"], "E045"),
])
def test_ray_refuses_unsupported_options_without_ray(paths, monkeypatch, args, expected):
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` would raise ImportError
    monkeypatch.delitem(sys.modules, "spacy_bilstm_crf.annotate.ray_engine", raising=False)
    model, src, out = paths
    result = CliRunner().invoke(app, ["annotate", str(model), str(src), str(out), "--engine", "ray", *args])
    assert result.exit_code == 2, result.output
    assert expected in " ".join(result.output.split())
    assert "spacy_bilstm_crf.annotate.ray_engine" not in sys.modules
    assert not out.exists() and not out.with_name("out.jsonl.progress.json").exists()


def test_help_says_what_output_is_for_each_engine():
    result = CliRunner().invoke(app, ["annotate", "--help"], env={"COLUMNS": "200", "TERM": "dumb"})
    text = " ".join(result.output.split())
    assert "--engine local with --output-format jsonl: one JSONL file" in text
    assert "--engine ray: a directory of shards" in text and "part-NNNNN.rejects.jsonl" in text


def test_the_rejects_message_names_files_that_exist(tmp_path):
    from spacy_bilstm_crf.cli.annotate import rejects_location

    assert rejects_location("local", tmp_path / "out.jsonl") == str(tmp_path / "out.jsonl.rejects.jsonl")
    shards = tmp_path / "shards"
    shards.mkdir()
    for i, content in enumerate([b"", b'{"line": 7}\n', b"", b'{"line": 90}\n']):
        (shards / f"part-{i:05d}.jsonl").write_bytes(b"")
        (shards / f"part-{i:05d}.rejects.jsonl").write_bytes(content)
    where = rejects_location("ray", shards)
    assert where == f"part-00001.rejects.jsonl, part-00003.rejects.jsonl in {shards}"
    for name in where.split(" in ")[0].split(", "):
        assert (shards / name).stat().st_size > 0


def test_n_best_is_bounded_by_the_one_shared_check():
    """--n-best and the component's n_best share one check, with the bound
    in the message; a huge k is refused at once instead of running for minutes."""
    import spacy

    from spacy_bilstm_crf.pipeline._ner.analyses import MAX_N_BEST

    with pytest.raises(OptionError, match=rf"E316.*at most {MAX_N_BEST}.*got 1000000"):
        AnnotateOptions(n_best=1_000_000).validated()
    AnnotateOptions(n_best=MAX_N_BEST).validated()
    with pytest.raises(ValueError, match=rf"E316.*at most {MAX_N_BEST}"):
        spacy.blank("en").add_pipe("bilstm_crf_ner", config={"n_best": MAX_N_BEST + 1})
    for bad in (0, True):
        with pytest.raises(OptionError, match="E040"):
            AnnotateOptions(n_best=bad).validated()
    with pytest.raises(OptionError, match="E043"):
        AnnotateOptions(uncertain_below=0.0).validated()
