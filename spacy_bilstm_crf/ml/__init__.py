"""The models, apart from the component (as spaCy's `spacy/ml`): the registered
architectures (`architectures.py`), their thinc layers (`layers/`: LSTMs,
dropout, characters, stacked embeddings, the CRF's parameters, sentences) and
the CRF lattice on the packed layout (`crf/`, `packing.py`)."""
