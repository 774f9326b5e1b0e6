"""Kaggle GMB csv converter on small files with the real file's quirks:
cp1252 bytes, CRLF, quoted comma, start at any 'Sentence: N'."""
import pytest

from spacy_bilstm_crf.converters import ConversionError, csv_to_docs, docs_to_iob2_tags, parse_split
from helpers.converters import assert_conversion_error

ROWS = [
    "Sentence #,Word,POS,Tag",
    "Sentence: 7,Thousands,NNS,O",
    ",in,IN,O",
    ",London,NNP,B-geo",
    ",\u2019s,POS,O",  # the byte 0x92 in cp1252
    ',",",",",O',
    ",New,NNP,B-geo",
    ",York,NNP,I-geo",
    "Sentence: 8,Mr.,NNP,B-per",
    ",Bush,NNP,I-per",
    ',"10,000",CD,O',
    "Sentence: 9,Monday,NNP,B-tim",
]


def write_csv(tmp_path, rows=ROWS, final_newline=True, name="g.csv"):
    data = "\r\n".join(rows) + ("\r\n" if final_newline else "")
    path = tmp_path / name
    path.write_bytes(data.encode("cp1252"))
    return path


def test_csv_tokens_entities_sentences(tmp_path):
    path = write_csv(tmp_path)
    assert b",\x92s," in path.read_bytes() and b'","' in path.read_bytes()
    parts, summary = csv_to_docs(path, n_sents=2)
    docs = parts[""]
    assert [len(doc) for doc in docs] == [10, 1]
    assert [t.text for t in docs[0]][:7] == ["Thousands", "in", "London", "\u2019s", ",", "New", "York"]
    assert docs[0][9].text == "10,000"
    assert [t.is_sent_start for t in docs[0]] == [True] + [False] * 6 + [True, False, False]
    assert docs[0][2].tag_ == "NNP"
    ents = [(e.text, e.label_) for doc in docs for e in doc.ents]
    assert ents == [("London", "geo"), ("New York", "geo"), ("Mr. Bush", "per"), ("Monday", "tim")]
    assert (summary.documents, summary.sentences, summary.tokens) == (2, 3, 11)
    assert summary.entities == {"geo": 2, "per": 1, "tim": 1}
    assert summary.oddities == {}  # CRLF is the file's normal line ending
    assert "sentence ids 7-9" in summary.notes[1]
    assert summary.notes[0].startswith("encoding: cp1252 (default fallback") and summary.encoding == "cp1252"


def test_csv_round_trip(tmp_path):
    parts, _ = csv_to_docs(write_csv(tmp_path))
    source = [[], [], []]
    k = -1
    for row in ROWS[1:]:
        k += row.startswith("Sentence:")
        source[k].append(row.rsplit(",", 1)[1])
    assert docs_to_iob2_tags(parts[""]) == source


def test_csv_label_map_and_missing_newline(tmp_path):
    parts, summary = csv_to_docs(write_csv(tmp_path, final_newline=False), label_map={"geo": "GEO"})
    assert summary.entities == {"GEO": 2, "per": 1, "tim": 1}
    assert summary.oddities == {"missing final newline": 1}


def test_csv_split_ratios_and_ranges(tmp_path):
    rows = ["Sentence #,Word,POS,Tag"] + [f"Sentence: {i},w{i},NN,O" for i in range(1, 11)]
    path = write_csv(tmp_path, rows)
    parts, summary = csv_to_docs(path, split=parse_split("0.8,0.1,0.1"))
    assert {k: [t.text for d in v for t in d] for k, v in parts.items()} == {
        "train": [f"w{i}" for i in range(1, 9)], "dev": ["w9"], "test": ["w10"],
    }
    assert summary.sentences == 10 and summary.parts["train"].sentences == 8
    parts, summary = csv_to_docs(path, split=parse_split("1-3,4-8"), names=["a", "b"])
    assert [len(d) for d in parts["a"]] == [3] and summary.parts["b"].tokens == 5
    assert any("2 sentences are in no split range" in n for n in summary.notes)


def test_split_ratios_reproduce_gmb_split():
    # 47,959 sentences at 0.8/0.1/0.1: cut after sentence 38,367 and 43,163.
    items = list(range(1, 47960))
    from spacy_bilstm_crf.converters.split import split_items
    parts, _ = split_items(items, items, parse_split("0.8,0.1,0.1"), ["train", "dev", "test"])
    assert (parts["train"][-1], parts["dev"][0], parts["dev"][-1], parts["test"][0]) == (38367, 38368, 43163, 43164)


@pytest.mark.parametrize(
    "rows,line,expected",
    [
        (["Sentence #,Word,POS,Tag", "Sentence: 1,a,DT"], 2, "expected 4 comma-separated fields"),
        (["Sentence #,Word,POS,Tag", "Sentence: 1,a,DT,S-geo"], 2, "expected an NER tag"),
        (["Sentence #,Word,POS,Tag", ",a,DT,O"], 2, "'Sentence: N' on the first data row"),
        (["Word,POS,Tag", "a,DT,O"], 1, "expected the header"),
        (["Sentence #,Word,POS,Tag"], 2, "no data rows"),
        (["Sentence #,Word,POS,Tag", "Sentence: 1,a,DT,O", "Sentence: 3\u00b2,b,DT,O"], 3, "'Sentence: 3\u00b2'"),
        (["Sentence #,Word,POS,Tag", "Sentence: -1,a,DT,O"], 2, "'Sentence: N'"),
        (["Sentence #,Word,POS,Tag", 'Sentence: 1,"a\tb",DT,O'], 2, "contains a tab"),
        (["Sentence #,Word,POS,Tag", 'Sentence: 1,"",DT,O'], 2, "empty token"),
        (["Sentence #,Word,POS,Tag", "Sentence: 1,a,DT,B-gpe extra"], 2, "'B-gpe extra'"),
        (["Sentence #,Word,POS,Tag", "Sentence: 1,a,DT,O", ',"a', 'b",NN,O'], 3, "line break"),
        # An unclosed quote is reported at its own line, without dumping the rows it swallowed.
        (["Sentence #,Word,POS,Tag", "Sentence: 1,a,DT,O", ',"b,NN,O'] + [",c,NN,O"] * 300, 3, "not closed"),
    ],
)
def test_csv_errors(tmp_path, rows, line, expected):
    assert_conversion_error(lambda: csv_to_docs(write_csv(tmp_path, rows)), line=line, contains=[expected])


def test_csv_undefined_cp1252_byte(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"Sentence #,Word,POS,Tag\r\nSentence: 1,a\x81,DT,O\r\n")
    assert_conversion_error(lambda: csv_to_docs(path), line=2, contains=["cp1252"])


def test_csv_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(ConversionError, match="empty file"):
        csv_to_docs(path)


def test_csv_unclosed_quote_message_is_short(tmp_path):
    rows = ["Sentence #,Word,POS,Tag", "Sentence: 1,a,DT,O", ',"b,NN,O'] + [",c,NN,O"] * 300
    error = assert_conversion_error(lambda: csv_to_docs(write_csv(tmp_path, rows)), contains=["characters)"])
    assert len(str(error)) < 400


def test_csv_huge_field(tmp_path):
    rows = ["Sentence #,Word,POS,Tag", "Sentence: 1,a,DT,O", ",a,DT,O", ',"' + "x" * 1_000_000 + '",NN,O']
    error = assert_conversion_error(lambda: csv_to_docs(write_csv(tmp_path, rows)), line=4, contains=["field larger than field limit"])
    assert len(str(error)) < 400


def test_csv_split_part_matching_nothing_warns(tmp_path):
    parts, summary = csv_to_docs(write_csv(tmp_path), split=parse_split("7-8,100-200"), names=["a", "b"])
    assert parts["b"] == [] and summary.warnings == ["split part 'b' matches no sentence: b.spacy is empty"]
