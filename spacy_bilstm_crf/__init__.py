"""BiLSTM, BiLSTM-LSTM and BiLSTM-CRF NER taggers as spaCy components.

Everything registers through entry points (see setup.py), so `spacy.load` and
`spacy train` need no import of this package. Importing it stays cheap: no
spacy-transformers on this path.
"""
from .about import __version__  # noqa: F401
