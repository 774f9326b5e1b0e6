"""Corpus converters to spaCy DocBin: Kaggle GMB csv, CoNLL-2003, two-column
tsv (BC5CDR-IOB) and BioCreative V CDR PubTator."""
from .api import FORMATS, convert_file
from .common import ConversionError, MentionNote, Summary, parse_label_map, read_docbin
from .conll import conll_to_docs
from .csv_gmb import csv_to_docs
from .outputs import DOCBIN_ATTRS
from .iob import detect_scheme, docs_to_iob2_tags, to_iob2
from .pubtator import pubtator_to_docs
from .split import parse_split
from .tsv import tsv_to_docs

__all__ = [
    "FORMATS",
    "DOCBIN_ATTRS",
    "ConversionError",
    "MentionNote",
    "Summary",
    "convert_file",
    "conll_to_docs",
    "csv_to_docs",
    "tsv_to_docs",
    "pubtator_to_docs",
    "detect_scheme",
    "docs_to_iob2_tags",
    "to_iob2",
    "parse_label_map",
    "parse_split",
    "read_docbin",
]
