"""Strict tag validation, the same in every column format (conll, tsv, csv):
a tag is `O` or `B-TYPE`/`I-TYPE`, anything else names file, line and tag."""
import pytest

from spacy_bilstm_crf.converters import conll_to_docs, csv_to_docs, tsv_to_docs
from spacy_bilstm_crf.converters.iob import tag_problem
from helpers.converters import assert_conversion_error

BAD_TAGS = {
    "B-Disease extra": "contains SPACE",
    "B-gpe\u00a0x": "contains NO-BREAK SPACE",
    "B-\u00a0": "contains NO-BREAK SPACE",
    "B-Dis\u200bease": "contains ZERO WIDTH SPACE",
    "B-O": "'O' is not an entity type",
    "I-O": "'O' is not an entity type",  # a CoNLL file cut inside its last tag `I-ORG`
    "B--": "no letter or digit",
    "B-": "the entity type is empty",
    "I-": "the entity type is empty",
    "b-PER": "unknown prefix 'b'",
    "i-per": "unknown prefix 'i'",
    "o": "expected 'O' or PREFIX-TYPE",
    "E-PER": "IOBES/BILUO tags are not supported",
    "S-PER": "IOBES/BILUO tags are not supported",
    "U-PER": "IOBES/BILUO tags are not supported",
    "B_PER": "expected 'O' or PREFIX-TYPE",
    "BI-PER": "unknown prefix 'BI'",
    "-PER": "unknown prefix ''",
    "B-PER\x00": "contains",
    "B-PER\t": "contains",
}


@pytest.mark.parametrize("tag", ["O", "B-PER", "I-geo", "B-Chemical", "B-NEG-Disease", "I-per_1"])
def test_good_tags(tag):
    assert tag_problem(tag) == ""


@pytest.mark.parametrize("tag", sorted(BAD_TAGS))
def test_bad_tags(tag):
    assert BAD_TAGS[tag] in tag_problem(tag)


# Tags the file layout can carry in the last column (no separator, no line break).
def fits(tag, sep):
    return sep not in tag and "\x00" not in tag and "\t" not in tag


@pytest.mark.parametrize("tag", sorted(BAD_TAGS))
@pytest.mark.parametrize("fmt", ["conll", "tsv", "csv"])
def test_bad_tag_rejected_in_every_format(tmp_path, fmt, tag):
    sep = {"conll": " ", "tsv": "\t", "csv": ","}[fmt]
    if not fits(tag, sep) or (fmt == "conll" and tag.endswith(" ")):
        pytest.skip("not expressible in this layout")
    path = tmp_path / f"x.{fmt}"
    if fmt == "conll":
        path.write_text(f"EU NNP I-NP B-ORG\nulcers NN I-NP {tag}\n", encoding="utf8")
        reader, line = conll_to_docs, 2
    elif fmt == "tsv":
        path.write_text(f"EU\tB-ORG\nulcers\t{tag}\n", encoding="utf8")
        reader, line = tsv_to_docs, 2
    else:
        path.write_text(f"Sentence #,Word,POS,Tag\nSentence: 1,EU,NNP,B-org\n,ulcers,NN,{tag}\n", encoding="utf8")
        reader, line = (lambda p: csv_to_docs(p, encoding="utf-8")), 3
    error = assert_conversion_error(lambda: reader(path), path=path, line=line)
    assert repr(tag) in str(error) and BAD_TAGS[tag] in str(error)


def test_conll_cut_inside_last_tag(tmp_path):
    path = tmp_path / "cut.txt"
    path.write_text("EU NNP I-NP B-ORG\n\nU.N. NNP I-NP I-O", encoding="utf8")
    assert_conversion_error(lambda: conll_to_docs(path), line=3, contains=["'I-O'"])
