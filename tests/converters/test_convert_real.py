"""Exact counts and round trips on the real corpora (README of shared/data).
Skipped when the data folder is missing."""
import pytest
from spacy.vocab import Vocab

from spacy_bilstm_crf.converters import (
    conll_to_docs, convert_file, csv_to_docs, docs_to_iob2_tags, pubtator_to_docs, read_docbin,
    tsv_to_docs,
)

CONLL = {
    "train.txt": (946, 14041, 203621, {"LOC": 7140, "MISC": 3438, "ORG": 6321, "PER": 6600}),
    "dev.txt": (216, 3250, 51362, {"LOC": 1837, "MISC": 922, "ORG": 1341, "PER": 1842}),
}


@pytest.mark.parametrize("name", sorted(CONLL))
def test_conll_counts_and_round_trip(data, tag_column, tmp_path, name):
    out = tmp_path / "c.spacy"
    summary = convert_file(data / "conll2003" / name, out, format="conll")
    assert (summary.documents, summary.sentences, summary.tokens, summary.entities) == CONLL[name]
    assert summary.scheme == "iob1"
    docs = read_docbin(out, Vocab())
    assert sum(len(d) for d in docs) == CONLL[name][2]
    # The round trip equals the independent IOB2 copy of the same corpus.
    assert docs_to_iob2_tags(docs) == tag_column(data / "conll2003" / "iob2" / name, " ")
    # Every token, in order.
    words = [line.split(" ")[0] for line in (data / "conll2003" / name).read_text().split("\n")
             if line.strip() and not line.startswith("-DOCSTART-")]
    assert [t.text for d in docs for t in d] == words


def test_conll_train_stray_b(data):
    _, summary = conll_to_docs(data / "conll2003" / "train.txt")
    assert list(summary.oddities.values()) == [2]


BC5CDR = {
    "train.tsv": (4560, 118170, {"Chemical": 5203, "Disease": 4182}),
    "devel.tsv": (4581, 117453, {"Chemical": 5347, "Disease": 4246}),
}


@pytest.mark.parametrize("name", sorted(BC5CDR))
def test_bc5cdr_tsv_counts_and_round_trip(data, tag_column, name):
    path = data / "bc5cdr" / name
    docs, summary = tsv_to_docs(path)
    assert (summary.sentences, summary.tokens, summary.entities) == BC5CDR[name]
    assert summary.scheme == "iob2" and summary.oddities == {}
    assert docs_to_iob2_tags(docs) == tag_column(path, "\t")


PUBTATOR = {
    "CDR_TrainingSet.PubTator.txt": {"Chemical": 5203, "Disease": 4182},
    "CDR_DevelopmentSet.PubTator.txt": {"Chemical": 5347, "Disease": 4244},
}


def read_pubtator_plainly(path):
    """Texts and mentions per PMID, read independently of the converter."""
    texts, mentions = {}, {}
    for line in path.read_text(encoding="utf8").splitlines():
        if "|t|" in line[:20] or "|a|" in line[:20]:
            pmid, kind, text = line.split("|", 2)
            texts[pmid] = text if kind == "t" else f"{texts[pmid]} {text}"
        elif line.count("\t") >= 5:
            pmid, start, end, _, label = line.split("\t")[:5]
            mentions.setdefault(pmid, []).append((int(start), int(end), label))
    return texts, mentions


@pytest.mark.parametrize("name", sorted(PUBTATOR))
def test_pubtator_every_mention_exact(data, name):
    path = data / "bc5cdr" / "pubtator" / name
    docs, summary = pubtator_to_docs(path)
    assert summary.documents == 500
    assert summary.mentions == PUBTATOR[name]
    # No overlapping mentions in these files: every mention is an entity.
    assert summary.entities == PUBTATOR[name] and summary.span_group_only == []
    texts, mentions = read_pubtator_plainly(path)
    assert [doc.text for doc in docs] == list(texts.values())
    for doc, pmid in zip(docs, texts):
        gold = sorted(mentions.get(pmid, []))
        assert sorted((e.start_char, e.end_char, e.label_) for e in doc.ents) == gold
        assert sorted((s.start_char, s.end_char, s.label_) for s in doc.spans["mentions"]) == gold
    assert summary.relation_lines_ignored > 1000
    assert all(doc[0].is_sent_start for doc in docs) and summary.sentences > 4 * summary.documents


def gmb_b_counts(path):
    counts = {}
    for line in path.read_bytes().decode("cp1252").split("\r\n")[1:]:
        tag = line.rsplit(",", 1)[-1]
        if tag.startswith("B-"):
            counts[tag[2:]] = counts.get(tag[2:], 0) + 1
    return dict(sorted(counts.items()))


def test_gmb_dev_counts_and_round_trip(data):
    path = data / "gmb" / "dev.csv"
    parts, summary = csv_to_docs(path)
    assert (summary.sentences, summary.tokens) == (4796, 105396)
    assert "sentence ids 38,368-43,163" in summary.notes[1]
    assert summary.encoding == "cp1252" and summary.warnings == []
    assert summary.entities == gmb_b_counts(path)
    source, current = [], []
    for line in path.read_bytes().decode("cp1252").split("\r\n")[1:-1]:
        if line.startswith("Sentence: ") and current:
            source.append(current)
            current = []
        current.append(line.rsplit(",", 1)[-1])
    source.append(current)
    assert docs_to_iob2_tags(parts[""]) == source


def test_gmb_train_counts(data):
    path = data / "gmb" / "train.csv"
    _, summary = csv_to_docs(path)
    assert (summary.sentences, summary.tokens) == (38367, 839237)
    assert "sentence ids 1-38,367" in summary.notes[1]
    assert summary.encoding == "cp1252" and summary.warnings == []
    assert summary.entities == gmb_b_counts(path)
    assert summary.oddities == {}
