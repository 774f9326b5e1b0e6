"""CoNLL-2003 converter on small files with the real files' quirks."""
import pytest

from spacy_bilstm_crf.converters import conll_to_docs, docs_to_iob2_tags
from spacy_bilstm_crf.converters.iob import IOB1_STRAY_B, IOB2_STRAY_I
from helpers.converters import assert_conversion_error

# IOB1, both -DOCSTART- spellings, a stray B-MISC after O (as in eng.train),
# B-LOC after I-LOC (two adjacent entities), no final newline.
IOB1 = (
    "-DOCSTART- -X- O O\n"
    "\n"
    "EU NNP I-NP I-ORG\n"
    "rejects VBZ I-VP O\n"
    "German JJ I-NP I-MISC\n"
    "call NN I-NP O\n"
    "\n"
    "the DT I-NP O\n"
    "Atlanta NNP I-NP B-MISC\n"
    "Games NNPS I-NP I-MISC\n"
    "\n"
    "-DOCSTART- -X- -X- O\n"
    "\n"
    "Paris NNP I-NP I-LOC\n"
    "Berlin NNP I-NP B-LOC\n"
    "Peter NNP I-NP I-PER\n"
    "\n"
    "Blackburn NNP I-NP I-PER"
)


def write(tmp_path, text, name="x.txt", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def test_conll_iob1_documents_sentences_entities(tmp_path):
    docs, summary = conll_to_docs(write(tmp_path, IOB1))
    assert summary.scheme == "iob1"
    assert [len(doc) for doc in docs] == [7, 4]
    assert [len(list(doc.sents)) for doc in docs] == [2, 2]
    assert [t.text for t in docs[0]] == "EU rejects German call the Atlanta Games".split()
    assert [t.tag_ for t in docs[0]][:3] == ["NNP", "VBZ", "JJ"]
    ents = [(e.text, e.label_) for doc in docs for e in doc.ents]
    assert ents == [
        ("EU", "ORG"), ("German", "MISC"), ("Atlanta Games", "MISC"),
        ("Paris", "LOC"), ("Berlin", "LOC"), ("Peter", "PER"), ("Blackburn", "PER"),
    ]
    # "Peter" and "Blackburn" are in different sentences: never one entity.
    assert (summary.documents, summary.sentences, summary.tokens) == (2, 4, 11)
    assert summary.entities == {"LOC": 2, "MISC": 2, "ORG": 1, "PER": 2}
    assert summary.oddities == {IOB1_STRAY_B: 1, "missing final newline": 1}
    assert any("-DOCSTART- -X- -X- O" in note for note in summary.notes)


def test_conll_round_trip_iob2(tmp_path):
    docs, _ = conll_to_docs(write(tmp_path, IOB1))
    assert docs_to_iob2_tags(docs) == [
        ["B-ORG", "O", "B-MISC", "O"],
        ["O", "B-MISC", "I-MISC"],
        ["B-LOC", "B-LOC", "B-PER"],
        ["B-PER"],
    ]


def test_conll_iob2_stray_i_counted(tmp_path):
    text = "A NN O B-PER\nB NN O I-PER\nC NN O O\nD NN O I-LOC\nE NN O B-ORG\n\nF NN O B-ORG\n"
    docs, summary = conll_to_docs(write(tmp_path, text))
    assert summary.scheme == "iob2"
    assert summary.oddities == {IOB2_STRAY_I: 1}
    assert docs_to_iob2_tags(docs) == [["B-PER", "I-PER", "O", "B-LOC", "B-ORG"], ["B-ORG"]]


def test_conll_scheme_given_overrides_detection(tmp_path):
    text = "A NN O I-PER\nB NN O I-PER\n\n"
    _, summary = conll_to_docs(write(tmp_path, text), scheme="iob2")
    assert summary.scheme == "iob2"
    assert summary.oddities == {IOB2_STRAY_I: 1}


def test_conll_without_docstart_groups_sentences(tmp_path):
    text = "".join(f"w{i} NN O O\n\n" for i in range(5))
    docs, summary = conll_to_docs(write(tmp_path, text), n_sents=2)
    assert [len(doc) for doc in docs] == [2, 2, 1]
    assert summary.sentences == 5


def test_conll_two_columns_and_trailing_spaces(tmp_path):
    text = "-DOCSTART- O\n\nRome I-LOC \nis O\n"
    docs, summary = conll_to_docs(write(tmp_path, text))
    assert [(e.text, e.label_) for e in docs[0].ents] == [("Rome", "LOC")]
    assert not docs[0].has_annotation("TAG")
    assert summary.oddities == {"trailing whitespace on a token line (ignored)": 1}


@pytest.mark.parametrize(
    "text,line,expected",
    [
        ("A NN O O\nB NN O\n", 2, "expected 4 space-separated columns"),
        ("A NN O O\nB NN O X-PER\n", 2, "expected an NER tag"),
        ("A NN O O\nB NN O B_PER\n", 2, "'B_PER'"),
        ("Solo\n", 1, "at least 2"),
        ("\n\n", 1, "empty file"),
    ],
)
def test_conll_errors(tmp_path, text, line, expected):
    path = write(tmp_path, text)
    assert_conversion_error(lambda: conll_to_docs(path), line=line, path=path, contains=[expected])


def test_conll_undecodable(tmp_path):
    path = write(tmp_path, b"A NN O O\n\nB\xff NN O O\n")
    assert_conversion_error(lambda: conll_to_docs(path, encoding="utf-8"), line=3, contains=["utf-8"])


@pytest.mark.parametrize("token", ["-DOCSTART-x", "-DOCSTART--", "-DOCSTART-\u00a0"])
def test_conll_token_starting_with_docstart_is_a_token(tmp_path, token):
    """Only a line whose first field is exactly -DOCSTART- marks a document."""
    path = write(tmp_path, f"-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\n{token} NNP B-NP B-PER\n\n"
                           f"-DOCSTART- -X- O O\n\nPeter NNP B-NP B-PER\n")
    docs, summary = conll_to_docs(path)
    assert [[t.text for t in doc] for doc in docs] == [["EU", token], ["Peter"]]
    assert [[(e.text, e.label_) for e in doc.ents] for doc in docs] == [[("EU", "ORG"), (token, "PER")], [("Peter", "PER")]]
    assert (summary.documents, summary.tokens, summary.entities) == (2, 3, {"ORG": 1, "PER": 2})
