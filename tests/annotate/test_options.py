"""`annotate` checks its options before any work: a bad one is refused with
a clear message and exit code 2, and nothing is written."""
import pytest
from typer.testing import CliRunner

from spacy_bilstm_crf.annotate.options import AnnotateOptions
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
    (["--engine", "ray", "--output-format", "docbin"], "--engine ray writes JSONL shards only"),
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
                                           "uncertainty", "alternatives", "uncertain_below"}
