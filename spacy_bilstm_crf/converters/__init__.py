"""Corpus converters to spaCy DocBin: Kaggle GMB csv, CoNLL-2003, two-column
tsv (BC5CDR-IOB) and BioCreative V CDR PubTator."""
from .api import FORMATS, convert_file, parse_label_map
from .columns import conll_to_docs, tsv_to_docs
from .csv_gmb import csv_to_docs
from .iob import detect_scheme, docs_to_iob2_tags, iob2_tags, to_iob2
from .outputs import DOCBIN_ATTRS, read_docbin
from .pubtator import pubtator_to_docs
from .report import ConversionError, MentionNote, Summary
from .split import parse_split

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
    "iob2_tags",
    "to_iob2",
    "parse_label_map",
    "parse_split",
    "read_docbin",
]
