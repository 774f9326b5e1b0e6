"""Training-corpus readers (registered through the `spacy_readers` entry point group)."""
from .oversampling import OversamplingCorpus, OversamplingStats, create_oversampling_corpus  # noqa: F401
from .silver import SilverCorpus, SilverSettings, SilverStats, create_silver_corpus  # noqa: F401
