"""PubTator converter: alignment, widening, overlaps, relations, errors."""
import pytest

from spacy_bilstm_crf.converters import ConversionError, pubtator_to_docs

TITLE = "Naloxone reverses the effect of clonidine."
ABSTRACT = "In rats, Na+-K+ pumps and 5-HT6 were studied. Hypertension fell."
TEXT = f"{TITLE} {ABSTRACT}"


def mention(pmid, text, sub, label, nth=0):
    start = -1
    for _ in range(nth + 1):
        start = text.index(sub, start + 1)
    return f"{pmid}\t{start}\t{start + len(sub)}\t{sub}\t{label}\tD000"


def write(tmp_path, lines, final_newline=True):
    path = tmp_path / "p.txt"
    path.write_text("\n".join(lines) + ("\n" if final_newline else ""))
    return path


def doc_lines(pmid="1"):
    return [
        f"{pmid}|t|{TITLE}",
        f"{pmid}|a|{ABSTRACT}",
        mention(pmid, TEXT, "Naloxone", "Chemical"),
        mention(pmid, TEXT, "clonidine", "Chemical"),
        mention(pmid, TEXT, "Na", "Chemical", nth=0),
        mention(pmid, TEXT, "K", "Chemical"),
        mention(pmid, TEXT, "5-HT", "Chemical"),
        mention(pmid, TEXT, "Hypertension", "Disease"),
        f"{pmid}\tCID\tD000\tD001",
    ]


def test_pubtator_alignment_and_report(tmp_path):
    lines = doc_lines("1") + [""] + doc_lines("2")
    docs, summary = pubtator_to_docs(write(tmp_path, lines, final_newline=False))
    assert summary.documents == 2 and docs[0].text == TEXT
    assert summary.mentions == {"Chemical": 10, "Disease": 2}
    assert summary.relation_lines_ignored == 2
    assert summary.oddities == {"missing final newline": 1}
    ents = [(e.text, e.label_) for e in docs[0].ents]
    assert ents == [("Naloxone", "Chemical"), ("clonidine", "Chemical"), ("Na+-K+", "Chemical"),
                    ("5-HT6", "Chemical"), ("Hypertension", "Disease")]
    # Na and K widen to the same token: one is kept, the other reported by PMID and offsets.
    assert summary.entities == {"Chemical": 8, "Disease": 2}
    assert len(summary.dropped) == 2
    dropped = summary.dropped[0]
    assert (dropped.pmid, dropped.label) == ("1", "Chemical")
    assert TEXT[dropped.start:dropped.end] in ("Na", "K")
    assert {(n.pmid, n.text) for n in summary.widened} == {
        (p, t) for p in "12" for t in ("Na", "K", "5-HT")
    }
    # Sentences: the title, then the sentencizer's sentences of the abstract.
    assert [s.text for s in docs[0].sents] == [TITLE, ABSTRACT.split(" Hyper")[0], "Hypertension fell."]


def test_pubtator_deterministic(tmp_path):
    path = write(tmp_path, doc_lines())
    a, sa = pubtator_to_docs(path)
    b, sb = pubtator_to_docs(path)
    assert [d.to_bytes() for d in a] == [d.to_bytes() for d in b] and sa.dropped == sb.dropped


@pytest.mark.parametrize(
    "bad,expected",
    [
        ("1\t0\t999\tNaloxone\tChemical\tD1", "outside the text"),
        ("1\t0\t8\tNalox0ne\tChemical\tD1", "does not match"),
        ("1\tfoo", "expected a mention line"),
        ("2\t0\t8\tNaloxone\tChemical\tD1", "expected PMID 1"),
    ],
)
def test_pubtator_errors(tmp_path, bad, expected):
    lines = doc_lines()
    lines.insert(3, bad)
    with pytest.raises(ConversionError) as err:
        pubtator_to_docs(write(tmp_path, lines))
    assert err.value.line == 4 and expected in str(err.value)
