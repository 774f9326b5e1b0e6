"""Training-corpus readers (registered through the `spacy_readers` entry point group)."""
from .oversampling import OversamplingCorpus, OversamplingStats, create_oversampling_corpus  # noqa: F401
