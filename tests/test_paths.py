"""The shared path check: an output is never the input, whatever the spelling."""
import os

import pytest

from spacy_bilstm_crf.paths import SamePathError, check_distinct, same_file


def test_same_file_through_links_and_spellings(tmp_path):
    a = tmp_path / "a.jsonl"
    a.write_text("x\n")
    (tmp_path / "sub").mkdir()
    link = tmp_path / "link.jsonl"
    link.symlink_to(a)
    hard = tmp_path / "hard.jsonl"
    os.link(a, hard)
    assert same_file(a, tmp_path / "sub" / ".." / "a.jsonl")
    assert same_file(a, link) and same_file(a, hard)
    assert not same_file(a, tmp_path / "b.jsonl")
    dangling = tmp_path / "new-link.jsonl"
    dangling.symlink_to(tmp_path / "new.jsonl")  # neither exists yet
    assert same_file(dangling, tmp_path / "new.jsonl")


def test_check_distinct_names_both_roles(tmp_path):
    a = tmp_path / "a.jsonl"
    a.write_text("x\n")
    link = tmp_path / "link.jsonl"
    link.symlink_to(a)
    with pytest.raises(SamePathError, match=r"\[E300\] The input and the output are the same file"):
        check_distinct({"input": a, "output": link})
    check_distinct({"input": a, "output": tmp_path / "out.jsonl", "unused": None})


def test_check_distinct_refuses_input_inside_output_directory(tmp_path):
    out = tmp_path / "shards"
    out.mkdir()
    inside = out / "in.jsonl"
    inside.write_text("x\n")
    with pytest.raises(SamePathError, match=r"\[E301\] The input .* lies inside the output directory"):
        check_distinct({"input": inside, "output": out}, directories={"output": out})
    with pytest.raises(SamePathError, match="E300"):
        check_distinct({"input": out, "output": out}, directories={"output": out})
