"""PubTator converter: every mention exact, overlaps in the span group,
relations, and the errors a hostile file gets."""
import pytest
from spacy.vocab import Vocab

from spacy_bilstm_crf.converters import ConversionError, convert_file, pubtator_to_docs, read_docbin
from helpers.converters import assert_conversion_error

TITLE = "Naloxone reverses the effect of clonidine."
ABSTRACT = "In rats, Na+-K+ pumps and 5-HT6 were studied in CHX/Pilo and (DOX)-induced cells. Hypertension fell."
TEXT = f"{TITLE} {ABSTRACT}"


def mention(pmid, sub, label, nth=0, text=TEXT):
    start = -1
    for _ in range(nth + 1):
        start = text.index(sub, start + 1)
    return f"{pmid}\t{start}\t{start + len(sub)}\t{sub}\t{label}\tD000"


def write(tmp_path, lines, final_newline=True, name="p.txt"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + ("\n" if final_newline else ""), encoding="utf8")
    return path


def doc_lines(pmid="1"):
    return [
        f"{pmid}|t|{TITLE}",
        f"{pmid}|a|{ABSTRACT}",
        mention(pmid, "Naloxone", "Chemical"),
        mention(pmid, "clonidine", "Chemical"),
        mention(pmid, "Na+-K+", "Chemical"),
        mention(pmid, "Na", "Chemical", nth=1),  # nested in Na+-K+
        mention(pmid, "K", "Chemical", nth=0),  # nested in Na+-K+
        mention(pmid, "5-HT", "Chemical"),  # ends inside the token 5-HT6
        mention(pmid, "CHX", "Chemical"),
        mention(pmid, "Pilo", "Chemical"),
        mention(pmid, "DOX", "Chemical"),
        mention(pmid, "Hypertension", "Disease"),
        f"{pmid}\tCID\tD000\tD001",
    ]


def spans(doc, key="mentions"):
    return sorted((s.start_char, s.end_char, s.label_) for s in doc.spans[key])


@pytest.mark.parametrize("tokenizer", ["spacy-bilstm-crf.BiomedicalTokenizer.v1", "spacy.Tokenizer.v1"])
def test_pubtator_every_mention_exact(tmp_path, tokenizer):
    lines = doc_lines("1") + [""] + doc_lines("2")
    docs, summary = pubtator_to_docs(write(tmp_path, lines, final_newline=False), tokenizer=tokenizer)
    assert summary.documents == 2 and docs[0].text == TEXT
    assert summary.mentions == {"Chemical": 18, "Disease": 2}
    assert summary.relation_lines_ignored == 2
    assert summary.oddities == {"missing final newline": 1}
    expected = sorted(
        (int(f[1]), int(f[2]), f[4]) for f in (line.split("\t") for line in doc_lines()) if len(f) == 6
    )
    for doc in docs:
        # Every mention is in the span group with its exact offsets.
        assert spans(doc) == expected
        assert all(s.text == TEXT[s.start_char:s.end_char] for s in doc.spans["mentions"])
    ents = [(e.text, e.label_) for e in docs[0].ents]
    assert ents == [("Naloxone", "Chemical"), ("clonidine", "Chemical"), ("Na+-K+", "Chemical"),
                    ("5-HT", "Chemical"), ("CHX", "Chemical"), ("Pilo", "Chemical"),
                    ("DOX", "Chemical"), ("Hypertension", "Disease")]
    # The nested Na and K are only in the span group, reported by PMID and offsets.
    assert summary.entities == {"Chemical": 14, "Disease": 2}
    assert sorted((n.pmid, n.text) for n in summary.span_group_only) == [
        ("1", "K"), ("1", "Na"), ("2", "K"), ("2", "Na")]
    assert all("Na+-K+" in n.detail for n in summary.span_group_only)
    assert "tokens split at mention boundaries" in summary.notes[-1]
    # Sentences: the title, then the sentencizer's sentences of the abstract.
    assert [s.text for s in docs[0].sents] == [TITLE, ABSTRACT.split(" Hyper")[0], "Hypertension fell."]


def test_pubtator_tokenizer_needs_fewer_splits(tmp_path):
    path = write(tmp_path, doc_lines())
    _, ours = pubtator_to_docs(path)
    _, spacys = pubtator_to_docs(path, tokenizer="spacy.Tokenizer.v1")
    n_split = [int(s.notes[-1].split(" tokens split")[0].rsplit(" ", 1)[-1]) for s in (ours, spacys)]
    assert n_split[0] == 1 < n_split[1]  # ours splits only 5-HT|6


def test_pubtator_round_trip_keeps_span_group(tmp_path):
    out = tmp_path / "p.spacy"
    convert_file(write(tmp_path, doc_lines()), out, format="pubtator", label_map={"Chemical": "CHEM"})
    (doc,) = read_docbin(out, Vocab())
    assert len(doc.spans["mentions"]) == 10 and len(doc.ents) == 8
    assert {s.label_ for s in doc.spans["mentions"]} == {"CHEM", "Disease"}
    assert [t.text for t in doc[:3]] == ["Naloxone", "reverses", "the"]


def test_pubtator_deterministic(tmp_path):
    path = write(tmp_path, doc_lines())
    a, sa = pubtator_to_docs(path)
    b, sb = pubtator_to_docs(path)
    assert [d.to_bytes() for d in a] == [d.to_bytes() for d in b]
    assert sa.span_group_only == sb.span_group_only


def test_pubtator_no_sentence_break_inside_a_mention(tmp_path):
    lines = [f"1|t|{TITLE}", f"1|a|{ABSTRACT}", mention("1", "cells. Hypertension", "Disease")]
    (doc,), summary = pubtator_to_docs(write(tmp_path, lines))
    assert [e.text for e in doc.ents] == ["cells. Hypertension"]
    assert summary.oddities == {"sentencizer breaks inside a mention (removed)": 1}
    assert not any(t.is_sent_start for t in doc.ents[0][1:])


def test_pubtator_bom_and_crlf_counted(tmp_path):
    path = tmp_path / "p.txt"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(doc_lines()).encode("utf8") + b"\r\n")
    (doc,), summary = pubtator_to_docs(path)
    assert doc.text == TEXT and len(doc.spans["mentions"]) == 10
    assert summary.oddities == {"UTF-8 byte-order mark (stripped)": 1, "CRLF line endings": 13}


@pytest.mark.parametrize(
    "bad,expected",
    [
        ("1\t0\t999\tNaloxone\tChemical\tD1", "outside the text"),
        ("1\t0\t8\tNalox0ne\tChemical\tD1", "does not match"),
        ("1\tfoo", "expected a mention line"),
        ("2\t0\t8\tNaloxone\tChemical\tD1", "expected PMID 1"),
        ("1\t0\t8\tNaloxone\t\tD1", "the entity type is empty"),
        ("1\t0\t8\tNaloxone\tChem ical\tD1", "bad mention type"),
        ("1\t0\t8\tNaloxone\tO\tD1", "'O' is not an entity type"),
        ("1\t8\t9\t \tChemical\tD1", "only whitespace"),
        ("1\t7\t9\te \tChemical\tD1", "starts or ends with whitespace"),
        ("1\t8\t0\tNaloxone\tChemical\tD1", "empty or reversed"),
        ("1\t3\t3\t\tChemical\tD1", "empty or reversed"),
        ("1\t-1\t8\tNaloxone\tChemical\tD1", "start offset as a non-negative integer, got '-1'"),
        ("1\t0\t3²\tNal\tChemical\tD1", "end offset as a non-negative integer, got '3²'"),
        ("1\t0\t٣\tNal\tChemical\tD1", "non-negative integer"),
        ("1\t0x0\t8\tNaloxone\tChemical\tD1", "non-negative integer"),
        ("\u00a0", "got '\\xa0'"),  # not a blank line
    ],
)
def test_pubtator_errors(tmp_path, bad, expected):
    lines = doc_lines()
    lines.insert(3, bad)
    assert_conversion_error(lambda: pubtator_to_docs(write(tmp_path, lines)), line=4, contains=[expected], path=tmp_path / "p.txt")


@pytest.mark.parametrize(
    "lines,line,expected",
    [
        (doc_lines("7") + doc_lines("7"), 14, "PMID 7 is already used on line 1"),
        ([f"7|t|{TITLE}", f"8|t|{TITLE}", f"8|a|{ABSTRACT}"], 1, "title of PMID 7 without a '7|a|'"),
        ([f"7|t|{TITLE}"], 1, "without a '7|a|' abstract line"),
        ([f"7|a|{ABSTRACT}"], 1, "right after"),
        ([f"7 x|t|{TITLE}", f"7 x|a|{ABSTRACT}"], 1, "PMID without spaces"),
        (["7\t0\t1\tN\tChemical\tD1"], 1, "before annotation lines"),
        ([f"7|t|{TITLE}\x00", f"7|a|{ABSTRACT}"], 1, "NUL character"),
    ],
)
def test_pubtator_document_errors(tmp_path, lines, line, expected):
    assert_conversion_error(lambda: pubtator_to_docs(write(tmp_path, lines)), line=line, contains=[expected])


def test_pubtator_encodings(tmp_path):
    path = tmp_path / "p.txt"
    path.write_bytes("\n".join(doc_lines()).encode("utf-16"))
    with pytest.raises(ConversionError, match="UTF-16 byte-order mark: pass --encoding utf-16"):
        pubtator_to_docs(path)
    docs, _ = pubtator_to_docs(path, encoding="utf-16")
    assert docs[0].text == TEXT
    path.write_bytes("\n".join(doc_lines()).encode("utf8").replace(b"rats", b"r\xe4ts"))
    assert_conversion_error(lambda: pubtator_to_docs(path, encoding="utf-8"), line=2, contains=["0xe4"])
