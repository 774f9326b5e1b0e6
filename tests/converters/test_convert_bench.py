"""bench_convert --gmb-nbsp on a tiny stand-in for the shared data: its own
counts from the raw rows agree with the converter's report and the DocBin."""
import hashlib
import json
from pathlib import Path

from benchmarks import bench_convert

HEADER = b"Sentence #,Word,POS,Tag\r\n"
TRAIN = HEADER + b"Sentence: 1,New,NNP,B-geo\r\n,York,NNP,I-geo\r\n,\x92s,POS,O\r\nSentence: 2,Bush,NNP,I-per\r\n"
DEV = HEADER + b'Sentence: 3,",",",",O\r\n,Monday,NNP,B-tim\r\n,Paris,NNP,I-geo\r\n'


def fake_data(tmp_path: Path) -> Path:
    (tmp_path / "gmb").mkdir(parents=True)
    lines = []
    for name, raw in (("train.csv", TRAIN), ("dev.csv", DEV)):
        (tmp_path / "gmb" / name).write_bytes(raw)
        lines.append(f"{hashlib.sha256(raw).hexdigest()}  gmb/{name}  ({len(raw)} bytes)")
    (tmp_path / "README.md").write_text("```\n" + "\n".join(lines) + "\n```\n")
    return tmp_path


def test_joined_file_and_independent_counts(tmp_path):
    joined = tmp_path / "joined.csv"
    bench_convert.join_gmb_nbsp(fake_data(tmp_path), joined)
    assert joined.read_bytes().count(b"Sentence #") == 1 and b",5\xa0storm,NN,B-eve\r\n" in joined.read_bytes()
    expected = bench_convert.expected_counts(joined)
    # A stray I- after O starts an entity, as conlleval counts it.
    assert expected["entities"] == {"eve": 1, "geo": 3, "per": 1, "tim": 1}
    assert (expected["sentences"], expected["tokens"]) == (4, 12)
    assert expected["words"][4] == "," and expected["words"][2] == "\u2019s"


def test_gmb_nbsp_report(tmp_path):
    data = fake_data(tmp_path / "data")
    out = tmp_path / "r.json"
    assert not bench_convert.gmb_nbsp(data, out, "test machine", "today")
    result = json.loads(out.read_text())
    # Only the real data has 43,163 sentences: everything else agrees exactly.
    assert result["checks"] == {
        "sentences_readme_43163_plus_1": False, "report_equals_raw_rows": True, "docbin_equals_raw_rows": True,
        "docbin_words_equal_raw_words": True, "docbin_tags_equal_raw_tags": True, "nbsp_token_kept": True,
        "encoding_cp1252_no_warning": True,
    }
    assert result["docbin"]["nbsp_entities"] == [["5\u00a0storm", "eve"]]


def test_data_not_as_the_readme_says(tmp_path):
    data = fake_data(tmp_path)
    (data / "gmb" / "dev.csv").write_bytes(DEV + b",x,NN,O\r\n")
    try:
        bench_convert.join_gmb_nbsp(data, tmp_path / "j.csv")
    except SystemExit as err:
        assert "gmb/dev.csv is not the file the data README describes" in str(err)
    else:
        raise AssertionError("a changed dev.csv was joined")
