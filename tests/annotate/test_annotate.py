"""`annotate`: order, rejects, n_process, resume, DocBin shards, pass-through fields (Ray: test_faults.py)."""
import json

import pytest
import spacy
from spacy.tokens import DocBin
from typer.testing import CliRunner

from helpers.annotate import assert_same_records, read, text_of, trained_model, write_lines
from spacy_bilstm_crf.annotate import annotate_local
from spacy_bilstm_crf.annotate.ray_engine import annotate_ray
from spacy_bilstm_crf.cli import app

N_DOCS = 300


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return trained_model(tmp_path_factory)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """A JSONL corpus with extra fields, two bad lines and a non-ASCII doc."""
    path = tmp_path_factory.mktemp("corpus") / "input.jsonl"
    lines = []
    for i in range(N_DOCS):
        lines.append(json.dumps({"id": i, "text": text_of(i)}, ensure_ascii=False))
    lines[17] = '{"id": 17, "text": '  # truncated JSON
    lines[42] = json.dumps({"id": 42, "body": "no text field"})
    path.write_text("\n".join(lines) + "\n", encoding="utf8")
    return path


def test_local_output_in_order_with_rejects(model, corpus, tmp_path):
    out = tmp_path / "out.jsonl"
    stats = annotate_local(model, corpus, out, progress=False, checkpoint_every=50)
    rows = read(out)
    assert stats["docs"] == N_DOCS - 2 and stats["rejected"] == 2
    assert [r["line"] for r in rows] == [n for n in range(1, N_DOCS + 1) if n not in (18, 43)]
    assert all(r["id"] == r["line"] - 1 for r in rows)
    rejects = read(tmp_path / "out.jsonl.rejects.jsonl")
    assert [r["line"] for r in rejects] == [18, 43]
    assert "JSON" in rejects[0]["error"] and "'text'" in rejects[1]["error"]
    nlp = spacy.load(model)
    for row in rows[:20]:
        doc = nlp(row["text"])
        assert [(e["start"], e["end"], e["label"]) for e in row["entities"]] == [
            (e.start_char, e.end_char, e.label_) for e in doc.ents
        ]
        assert all(0.0 <= e["score"] <= 1.0 for e in row["entities"])


def test_two_processes_give_identical_output(model, corpus, tmp_path):
    annotate_local(model, corpus, tmp_path / "one.jsonl", progress=False)
    annotate_local(model, corpus, tmp_path / "two.jsonl", n_process=2, batch_size=16, progress=False)
    assert_same_records(read(tmp_path / "one.jsonl"), read(tmp_path / "two.jsonl"))


def test_interrupted_and_resumed_equals_uninterrupted(model, corpus, tmp_path):
    annotate_local(model, corpus, tmp_path / "full.jsonl", progress=False)
    out = tmp_path / "resumed.jsonl"
    first = annotate_local(model, corpus, out, progress=False, checkpoint_every=30, max_docs=90)
    assert not first["complete"]
    # A crash after the checkpoint leaves a torn line: it must be cut on resume.
    with out.open("ab") as f:
        f.write(b'{"line": 999, "te')
    second = annotate_local(model, corpus, out, progress=False, checkpoint_every=30)
    assert second["complete"] and second["resumed_from_line"] == first["docs"] + 2  # two rejects before
    assert out.read_bytes() == (tmp_path / "full.jsonl").read_bytes()
    assert (tmp_path / "resumed.jsonl.rejects.jsonl").read_bytes() == (
        tmp_path / "full.jsonl.rejects.jsonl"
    ).read_bytes()


def test_docbin_shards_resume(model, corpus, tmp_path):
    kwargs = dict(output_format="docbin", shard_size=100, progress=False, checkpoint_every=40)
    annotate_local(model, corpus, tmp_path / "full", **kwargs)
    annotate_local(model, corpus, tmp_path / "part", max_docs=130, **kwargs)
    annotate_local(model, corpus, tmp_path / "part", **kwargs)
    vocab = spacy.blank("en").vocab

    def load(directory):
        docs = []
        for shard in sorted(directory.glob("part-*.spacy")):
            docs.extend(DocBin().from_disk(shard).get_docs(vocab))
        return [(d.user_data["line"], d.text, [(e.start_char, e.end_char, e.label_) for e in d.ents]) for d in docs]

    full = load(tmp_path / "full")
    assert len(full) == N_DOCS - 2 and len(list((tmp_path / "full").glob("part-*.spacy"))) == 3
    assert load(tmp_path / "part") == full


def test_cli(model, corpus, tmp_path):
    result = CliRunner().invoke(app, ["annotate", str(model), str(corpus), str(tmp_path / "cli.jsonl")])
    assert result.exit_code == 3, result.output  # finished, with rejected lines
    assert "2 lines rejected" in result.output
    assert len(read(tmp_path / "cli.jsonl")) == N_DOCS - 2


def test_nbest_uncertainty_and_alternatives_in_records(model, corpus, tmp_path):
    out = tmp_path / "nbest.jsonl"
    stats = annotate_local(model, corpus, out, progress=False, n_process=2, batch_size=16,
                           n_best=3, uncertainty=True, alternatives=True)
    rows = read(out)
    assert stats["docs"] == N_DOCS - 2 and len(rows) == N_DOCS - 2
    nlp = spacy.load(model, config={"components": {"bilstm_crf_ner": {"n_best": 3, "uncertainty": True}}})
    for row in rows[:10]:
        doc = nlp(row["text"])
        # One sequence per doc (no sentencizer); its best analysis is doc.ents.
        (seq,) = row["nbest"]
        assert (seq["start"], seq["end"]) == (0, len(row["text"]))
        assert len(seq["analyses"]) == 3
        best = seq["analyses"][0]
        assert [(e["start"], e["end"], e["label"]) for e in best["entities"]] == [
            (e["start"], e["end"], e["label"]) for e in row["entities"]]
        assert [a["probability"] for a in seq["analyses"]] == sorted([a["probability"] for a in seq["analyses"]],
                                                                   reverse=True)
        unc = row["uncertainty"]
        assert unc["best_probability"] == pytest.approx(best["probability"], abs=1e-5)
        assert unc["best_probability"] == pytest.approx(
            doc.spans["ents_scored"].attrs["uncertainty"]["best_probability"], abs=1e-5)
        for ent in row["entities"]:
            assert ent["alternatives"][ent["label"]] == pytest.approx(ent["score"], abs=1e-5)
    # The filter keeps exactly the docs below the limit, in order.
    # A limit halfway between two neighbouring values: the second run batches the docs differently, and the
    # LSTM's sums then round differently (~1e-7), which must not carry a doc across the limit.
    values = sorted(r["uncertainty"]["best_probability"] for r in rows)
    cut = next(i for i in range(len(rows) // 3, len(values)) if values[i] - values[i - 1] > 1e-4)
    limit = (values[cut - 1] + values[cut]) / 2
    kept = tmp_path / "uncertain.jsonl"
    stats = annotate_local(model, corpus, kept, progress=False, uncertain_below=limit)
    expected = [r["line"] for r in rows if r["uncertainty"]["best_probability"] < limit]
    assert [r["line"] for r in read(kept)] == expected
    assert stats["filtered"] == len(rows) - len(expected) and expected


def test_analyses_fields_take_the_prefix_and_are_bound_to_the_checkpoint(model, corpus, tmp_path):
    out = tmp_path / "p.jsonl"
    annotate_local(model, corpus, out, progress=False, n_best=2, uncertainty=True, field_prefix="ner_")
    row = read(out)[0]
    assert {"ner_line", "ner_entities", "ner_nbest", "ner_uncertainty"} <= set(row)
    assert not {"nbest", "uncertainty"} & set(row)
    # Another n_best changes the output: resuming into the same file is refused.
    result = CliRunner().invoke(app, ["annotate", str(model), str(corpus), str(out), "--n-best", "3",
                                      "--field-prefix", "ner_", "--uncertainty"])
    assert result.exit_code == 1, result.output


def test_analyses_field_collision_refused_before_starting(model, tmp_path):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"text": "Anna lives in Paris"}\n{"text": "x", "nbest": 1}\n', encoding="utf8")
    result = CliRunner().invoke(app, ["annotate", str(model), str(corpus), str(tmp_path / "o.jsonl"), "--n-best", "2"])
    assert result.exit_code == 1 and "nbest" in result.output and not (tmp_path / "o.jsonl").exists()
    # Without --n-best, a field named nbest is the user's own and passes through.
    result = CliRunner().invoke(app, ["annotate", str(model), str(corpus), str(tmp_path / "o2.jsonl")])
    assert result.exit_code == 0, result.output
    assert read(tmp_path / "o2.jsonl")[1]["nbest"] == 1


def test_cli_analyses_options(model, corpus, tmp_path):
    result = CliRunner().invoke(app, ["annotate", str(model), str(corpus), str(tmp_path / "a.jsonl"),
                                      "--n-best", "2", "--uncertainty", "--uncertain-below", "0.999999"])
    assert result.exit_code == 3, result.output  # the corpus has two bad lines
    rows = read(tmp_path / "a.jsonl")
    assert rows and all(len(r["nbest"][0]["analyses"]) == 2 and r["uncertainty"]["best_probability"] < 0.999999
                        for r in rows)
    for args, code in ((["--n-best", "0"], "E040"), (["--n-best", "1000000"], "at most 100"),
                       (["--uncertain-below", "1.5"], "E043"),
                       (["--engine", "ray", "--uncertainty"], "E045")):
        bad = CliRunner().invoke(app, ["annotate", str(model), str(corpus), str(tmp_path / "b"), *args])
        assert bad.exit_code == 2 and code in bad.output, bad.output
        assert not (tmp_path / "b").exists()


PASS_THROUGH = ('{"id": 12345678901234567890.5, "tiny": 1e-400, "neg": -0, "nested": {"a": [1,2.50, "caf\\u00e9"]},'
                ' "text": "Berlin is big.", "big": 100000000000000000000000000001}')


@pytest.mark.parametrize("engine", ["local", "ray"])
def test_pass_through_values_written_back_exactly_as_read(model, tmp_path, engine):
    src = write_lines(tmp_path / "in.jsonl", [PASS_THROUGH, '{"text": "Paris.", "x": [-0.0, 1E+2]}'])
    out = tmp_path / "out"
    if engine == "ray":
        annotate_ray(model, src, out, num_workers=1)
        lines = (out / "part-00000.jsonl").read_text(encoding="utf8").splitlines()
    else:
        annotate_local(model, src, out, progress=False)
        lines = out.read_text(encoding="utf8").splitlines()
    assert lines[0].startswith('{"id": 12345678901234567890.5, "tiny": 1e-400, "neg": -0, '
                               '"nested": {"a": [1,2.50, "caf\\u00e9"]}, "big": 100000000000000000000000000001, '
                               '"line": 1, "text": "Berlin is big.", "entities": [')
    assert lines[1].startswith('{"x": [-0.0, 1E+2], "line": 2, "text": "Paris.", "entities": [')
    assert json.loads(lines[0])["nested"] == {"a": [1, 2.5, "café"]}
