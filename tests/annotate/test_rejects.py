"""One bad document never stops a job: whatever is wrong with a line (bad
UTF-8 or JSON, wrong types, a lone surrogate, a non-finite number, a line too
long to read, a text over nlp.max_length, a component that raises), it is
rejected with its line number and the reason, and every other line is
annotated. The output is always RFC 8259 JSON in UTF-8."""
import json
import tracemalloc

import pytest
import spacy
from spacy.language import Language
from spacy.tokens import DocBin
from typer.testing import CliRunner

from helpers.annotate import model_with_bomb, read, text_of, trained_model, write_lines
from spacy_bilstm_crf.annotate import annotate_local
from spacy_bilstm_crf.annotate.io import read_records
from spacy_bilstm_crf.cli import app


@Language.component("annotate_test_bomb")
def bomb(doc):
    """A component that fails on some documents, as a buggy one would."""
    if "BOMB" in doc.text:
        raise RuntimeError("boom on purpose")
    return doc


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return trained_model(tmp_path_factory)


@pytest.fixture(scope="module")
def bomb_model(model, tmp_path_factory):
    nlp = spacy.load(model)
    nlp.add_pipe("annotate_test_bomb")
    path = tmp_path_factory.mktemp("bomb-model")
    nlp.to_disk(path)
    return path


def good(i: int) -> str:
    return json.dumps({"id": i, "text": text_of(i)})


HOSTILE = {
    2: ('{"id": 2, "text": "lone \\ud800 surrogate"}', "lone surrogate in field 'text'"),
    3: ('{"id": 3, "text": "ok", "meta": {"x": ["\\udfff"]}}', "lone surrogate in field 'meta.x.0'"),
    4: ('{"id": 4, "text": 5}', "string field 'text'"),
    5: ('["text", "a list"]', "string field 'text'"),
    6: ('{"id": 6, "text": "Berlin.", "score": NaN}', "non-finite number nan in field 'score'"),
    7: ('{"id": 7, "text": "Berlin.", "v": [1e999]}', "non-finite number inf in field 'v.0'"),
    8: ('{"id": 8, "text": "trunc', "not a JSON line"),
    10: ('{"id": 10, "text": "x", "deep": ' + "[" * 9000 + "]" * 9000 + "}", "RecursionError"),
    11: ('{"id": 11, "text": "' + "long " * 5000 + '"}', "line longer than --max-line-bytes (20,000 bytes)"),
    12: ('{"id": 12, "text": "BOMB here"}', "RuntimeError: boom on purpose"),
}


@pytest.fixture
def hostile(tmp_path):
    """Lines 1-14, hostile ones as in HOSTILE, line 9 not UTF-8."""
    lines = [HOSTILE[n][0] if n in HOSTILE else good(n) for n in range(1, 15)]
    path = write_lines(tmp_path / "hostile.jsonl", lines)
    data = path.read_bytes().split(b"\n")
    data[8] = b'{"id": 9, "text": "caf\xe9"}'  # latin-1, not UTF-8
    path.write_bytes(b"\n".join(data))
    return path


def _strict(path):
    """Parse as RFC 8259 JSON in UTF-8: no NaN/Infinity, no lone surrogates."""
    def refuse(name):
        raise ValueError(f"non-finite {name}")

    rows = [json.loads(line, parse_constant=refuse) for line in path.read_bytes().decode("utf8").splitlines()]
    for line in path.read_text(encoding="utf8").splitlines():
        json.dumps(json.loads(line), ensure_ascii=False).encode("utf8")
    return rows


@pytest.mark.parametrize("n_process", [1, 2])
def test_every_hostile_line_rejected_with_reason_others_annotated(bomb_model, hostile, tmp_path, n_process):
    out = tmp_path / "out.jsonl"
    stats = annotate_local(bomb_model, hostile, out, progress=False, max_line_bytes=20000,
                           n_process=n_process, batch_size=4)
    expected_rejects = sorted(HOSTILE) + [9]
    rows = _strict(out)
    assert [r["line"] for r in rows] == [n for n in range(1, 15) if n not in expected_rejects]
    assert all(r["id"] == r["line"] for r in rows)
    rejects = _strict(tmp_path / "out.jsonl.rejects.jsonl")
    assert [r["line"] for r in rejects] == sorted(expected_rejects)
    for reject in rejects:
        expected = "not valid UTF-8" if reject["line"] == 9 else HOSTILE[reject["line"]][1]
        assert expected in reject["error"], reject
    long_line = next(r for r in rejects if r["line"] == 11)
    assert long_line["raw_truncated"] and len(long_line["raw"]) <= 1000
    assert stats["rejected"] == len(expected_rejects) and stats["docs"] == 14 - len(expected_rejects)


def test_batch_neighbours_of_a_failing_doc_are_unaffected(model, bomb_model, tmp_path):
    lines = [json.dumps({"id": i, "text": text_of(i) + (" BOMB" if i % 7 == 3 else "")}) for i in range(40)]
    src = write_lines(tmp_path / "in.jsonl", lines)
    annotate_local(bomb_model, src, tmp_path / "bomb.jsonl", progress=False, batch_size=8)
    clean = [line for i, line in enumerate(lines) if i % 7 != 3]
    annotate_local(model, write_lines(tmp_path / "clean.jsonl", clean), tmp_path / "ref.jsonl", progress=False)
    got = [{k: v for k, v in r.items() if k != "line"} for r in read(tmp_path / "bomb.jsonl")]
    ref = [{k: v for k, v in r.items() if k != "line"} for r in read(tmp_path / "ref.jsonl")]
    assert got == ref
    assert [r["line"] for r in read(tmp_path / "bomb.jsonl.rejects.jsonl")] == [i + 1 for i in range(40) if i % 7 == 3]


def test_text_over_max_length_is_rejected_e088(model, tmp_path):
    src = write_lines(tmp_path / "in.txt", ["Shaka Khan lives in Berlin.", "a " * 500_001, "I like London."])
    stats = annotate_local(model, src, tmp_path / "out.jsonl", progress=False)
    assert [r["line"] for r in read(tmp_path / "out.jsonl")] == [1, 3]
    (reject,) = read(tmp_path / "out.jsonl.rejects.jsonl")
    assert reject["line"] == 2 and "E088" in reject["error"] and "nlp.max_length (1,000,000)" in reject["error"]
    assert stats["rejected"] == 1


def test_non_finite_numbers_nulled_and_counted_on_request(model, hostile, tmp_path):
    result = CliRunner().invoke(app, ["annotate", str(model), str(hostile), str(tmp_path / "out.jsonl"),
                                      "--non-finite", "null", "--max-line-bytes", "20000"])
    assert result.exit_code == 3, result.output
    assert "2 non-finite numbers in input fields written as null" in result.output
    rows = {r["line"]: r for r in _strict(tmp_path / "out.jsonl")}
    assert rows[6]["score"] is None and rows[7]["v"] == [None]


def test_exit_code_and_rejects_count(model, tmp_path):
    clean = write_lines(tmp_path / "clean.jsonl", [good(i) for i in range(5)])
    result = CliRunner().invoke(app, ["annotate", str(model), str(clean), str(tmp_path / "a.jsonl")])
    assert result.exit_code == 0 and "0 lines rejected" in result.output, result.output
    dirty = write_lines(tmp_path / "dirty.jsonl", [good(0), "{bad", good(2), "[]"])
    result = CliRunner().invoke(app, ["annotate", str(model), str(dirty), str(tmp_path / "b.jsonl")])
    assert result.exit_code == 3 and "2 lines rejected" in result.output, result.output


def test_user_fields_never_overwritten(model, tmp_path):
    lines = [good(0), good(1), json.dumps({"text": "Berlin.", "entities": ["mine"], "line": "L3"})]
    src = write_lines(tmp_path / "in.jsonl", lines)
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["annotate", str(model), str(src), str(out)])
    assert result.exit_code == 1, result.output
    assert "Line 3 of" in result.output and "'line'" in result.output and "--field-prefix" in result.output
    assert not out.exists()
    assert annotate_local(model, src, out, progress=False, field_prefix="_")["rejected"] == 0
    row = read(out)[2]
    assert row["entities"] == ["mine"] and row["line"] == "L3" and row["_line"] == 3
    assert [e["text"] for e in row["_entities"]] == ["Berlin"]


def test_huge_line_read_in_bounded_memory(tmp_path):
    src = tmp_path / "huge.jsonl"
    with src.open("wb") as f:
        f.write(b'{"text": "a"}\n{"text": "')
        for _ in range(40):
            f.write(b"x" * (1 << 20))
        f.write(b'"}\n{"text": "b"}\n')
    tracemalloc.start()
    items = list(read_records(src, "jsonl", max_line_bytes=1 << 20))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [type(i).__name__ for i in items] == ["Record", "Reject", "Record"]
    assert items[1].line == 2 and items[2].text == "b"
    assert peak < 8 * (1 << 20), f"peak {peak:,} bytes for a 40 MiB line"


def test_duplicate_keys_reject_the_line_with_its_number(model, tmp_path):
    lines = [good(0), '{"text": "a", "text": "b"}', '{"id": 2, "text": "Berlin.", "m": {"k": 1, "k": 2}}',
             '{"id": 3, "id": 3, "text": "Paris."}', good(4)]
    src = write_lines(tmp_path / "in.jsonl", lines)
    stats = annotate_local(model, src, tmp_path / "out.jsonl", progress=False)
    assert [r["line"] for r in read(tmp_path / "out.jsonl")] == [1, 5]
    rejects = read(tmp_path / "out.jsonl.rejects.jsonl")
    assert [(r["line"], r["raw"]) for r in rejects] == [(2, lines[1]), (3, lines[2]), (4, lines[3])]
    assert all("duplicate key" in r["error"] for r in rejects)
    assert "'text'" in rejects[0]["error"] and "'k'" in rejects[1]["error"] and "'id'" in rejects[2]["error"]
    assert stats["rejected"] == 3


def test_docbin_rejects_the_one_line_it_cannot_store(model, tmp_path):
    lines = [good(0), '{"id": 1, "text": "Berlin.", "big": 18446744073709551616}',
             '{"id": 2, "text": "Paris.", "deep": {"x": [-9223372036854775809]}}', good(3)]
    src = write_lines(tmp_path / "in.jsonl", lines)
    result = CliRunner().invoke(app, ["annotate", str(model), str(src), str(tmp_path / "shards"),
                                      "--output-format", "docbin"])
    assert result.exit_code == 3 and "2 lines rejected" in result.output, result.output
    rejects = read(tmp_path / "shards.rejects.jsonl")
    assert [r["line"] for r in rejects] == [2, 3]
    assert all("cannot be stored in a DocBin" in r["error"] for r in rejects)
    docs = list(DocBin().from_disk(tmp_path / "shards" / "part-00000.spacy").get_docs(spacy.blank("en").vocab))
    assert [d.user_data["line"] for d in docs] == [1, 4]


def test_a_failing_trainable_component_is_rejected_with_its_own_error(tmp_path_factory, tmp_path):
    """spaCy reports a trainable pipe's failure as `[E005] ... returned
    NoneType`: the reject says what the component said."""
    bomb = model_with_bomb(tmp_path_factory, trigger="BOMB")
    lines = [good(0), json.dumps({"id": 1, "text": "BOMB in Berlin."}), good(2)]
    src = write_lines(tmp_path / "in.jsonl", lines)
    stats = annotate_local(bomb, src, tmp_path / "out.jsonl", progress=False, batch_size=2)
    (reject,) = read(tmp_path / "out.jsonl.rejects.jsonl")
    assert reject["line"] == 2 and "boom from annotate_test_bomb_pipe on purpose" in reject["error"], reject
    assert "E005" not in reject["error"]
    assert stats["docs"] == 2
