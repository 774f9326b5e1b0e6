"""Unlabelled pre-tokenized text (spacy_bilstm_crf.silver.text): three formats, every bad line refused with its file and line."""
import json
from pathlib import Path

import pytest
import spacy
from spacy.tokens import Doc, DocBin

from spacy_bilstm_crf.silver.text import TextError, TextStats, check_text, detect_format, read_sentences


def test_text_lines_are_whitespace_tokenized_and_blank_lines_counted(tmp_path: Path):
    path = tmp_path / "in.txt"
    path.write_bytes("\ufeffWe  sold\tZorblax .\r\n\n   \nRain .\nZoë\u00a0Müller came .\n".encode("utf8"))
    stats = TextStats()
    assert list(read_sentences(path, stats=stats)) == [
        ["We", "sold", "Zorblax", "."], ["Rain", "."], ["Zoë", "Müller", "came", "."]]
    assert (stats.sentences, stats.tokens, stats.blank_lines) == (3, 10, 2)


def test_jsonl_and_docbin(tmp_path: Path):
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text(json.dumps({"id": 1, "tokens": ["New\u00a0York", "is", "big"]}) + "\n\n"
                     + json.dumps({"tokens": ["Rain"]}) + "\n", encoding="utf8")
    assert list(read_sentences(jsonl)) == [["New\u00a0York", "is", "big"], ["Rain"]]
    nlp = spacy.blank("en")
    docs = [Doc(nlp.vocab, words=["A", "b", ".", "C", "d"], sent_starts=[1, 0, 0, 1, 0],
                ents=["B-X", "O", "O", "O", "O"]),
            Doc(nlp.vocab, words=[]), Doc(nlp.vocab, words=["E", "f"])]
    docbin = tmp_path / "in.spacy"
    DocBin(docs=docs).to_disk(docbin)
    stats = check_text(docbin)
    assert list(read_sentences(docbin)) == [["A", "b", "."], ["C", "d"], ["E", "f"]]
    assert (stats.sentences, stats.blank_lines) == (3, 1)
    assert detect_format(docbin) == "docbin" and detect_format(jsonl) == "jsonl" and detect_format("x.txt") == "text"


@pytest.mark.parametrize("name,content,match", [
    ("a.txt", b"ok .\n\xff bad\n", r"\[E240\] .*a\.txt, line 2: byte 1 is not UTF-8"),
    ("b.txt", b"ok .\n" + b"w " * 6 + b"\n", r"\[E240\] .*b\.txt, line 2: it has 6 tokens, more than --max-tokens 5"),
    ("c.jsonl", b'{"tokens": ["a"]}\n{"tokens": ["a", " "]}\n', r"\[E240\] .*c\.jsonl, line 2: token 2 is ' '"),
    ("d.jsonl", b'{"tokens": ["a"]}\n\n["a"]\n', r"\[E240\] .*d\.jsonl, line 3: it is a JSON list, not an object"),
    ("e.jsonl", b'{"text": "a b"}\n', r'\[E240\] .*e\.jsonl, line 1: it has no "tokens" field'),
    ("f.jsonl", b'{"tokens": []}\n', r'\[E240\] .*f\.jsonl, line 1: "tokens" is \[\]'),
    ("g.jsonl", b'{"tokens": ["a"}\n', r"\[E240\] .*g\.jsonl, line 1: it is not JSON"),
    ("h.txt", b"\n \n", r"\[E243\] .*h\.txt holds no sentence \(2 blank"),
])
def test_bad_lines_are_refused_with_file_and_line(tmp_path: Path, name: str, content: bytes, match: str):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(TextError, match=match):
        check_text(path, max_tokens=5)


def test_bad_docbin_and_format(tmp_path: Path):
    nlp = spacy.blank("en")
    path = tmp_path / "ws.spacy"
    DocBin(docs=[Doc(nlp.vocab, words=["a"]), nlp("Two  spaces")]).to_disk(path)
    with pytest.raises(TextError, match=r"\[E241\] .*ws\.spacy, doc 2: token 2 is ' '"):
        check_text(path)
    (tmp_path / "junk.spacy").write_bytes(b"not a docbin")
    with pytest.raises(TextError, match=r"\[E242\] .*junk\.spacy: not a DocBin"):
        check_text(tmp_path / "junk.spacy")
    with pytest.raises(TextError, match=r"\[E242\] .*missing\.txt: no such file"):
        check_text(tmp_path / "missing.txt")
    with pytest.raises(TextError, match=r"\[E244\] Unknown --input-format 'csv'"):
        detect_format(path, "csv")
