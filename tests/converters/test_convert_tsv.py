"""Two-column tsv converter (BC5CDR-IOB layout) and the embedded sample."""
import pytest

from spacy_bilstm_crf.converters import docs_to_iob2_tags, tsv_to_docs
from helpers.converters import assert_conversion_error

TSV = "Selegiline\tB-Chemical\n-\tO\ninduced\tO\npostural\tB-Disease\nhypotension\tI-Disease\n\nx\tO\n\n"


def test_tsv_documents_of_n_sentences(tmp_path, tag_column):
    path = tmp_path / "t.tsv"
    path.write_text(TSV * 3)
    docs, summary = tsv_to_docs(path, n_sents=4)
    assert [len(list(doc.sents)) for doc in docs] == [4, 2]
    assert summary.entities == {"Chemical": 3, "Disease": 3}
    assert [(e.text, e.label_) for e in docs[0].ents][:2] == [("Selegiline", "Chemical"), ("postural hypotension", "Disease")]
    assert summary.oddities == {}
    assert docs_to_iob2_tags(docs) == tag_column(path, "\t")


@pytest.mark.parametrize(
    "text,line,expected",
    [
        ("a\tO\nb c\tO\tO\n", 2, "expected 2 tab-separated columns"),
        ("a\tO\nb O\n", 2, "expected 2 tab-separated columns"),
        ("a\tO\nb\tE-Chemical\n", 2, "expected an NER tag"),
    ],
)
def test_tsv_errors(tmp_path, text, line, expected):
    path = tmp_path / "t.tsv"
    path.write_text(text)
    assert_conversion_error(lambda: tsv_to_docs(path), line=line, contains=[expected])


@pytest.mark.parametrize("name", ["train.tsv", "dev.tsv"])
def test_embedded_sample(name, repo_root, tag_column):
    path = repo_root / "assets" / "bc5cdr_sample" / name
    if not path.exists():
        pytest.skip(f"{path} not present")
    docs, summary = tsv_to_docs(path)
    assert summary.sentences == 300 and summary.documents == 30
    assert docs_to_iob2_tags(docs) == tag_column(path, "\t")
    n_b = sum(tag.startswith("B-") for sent in tag_column(path, "\t") for tag in sent)
    assert summary.n_entities == n_b
