"""The models, apart from the component (as spaCy's `spacy/ml`): the registered
architectures (`architectures.py`, one current version per model; the older
versions as shims in `legacy.py`), their thinc layers (`layers/`: LSTMs,
dropout, characters, stacked embeddings, the CRF's parameters, sentences) and
the CRF lattice on the packed layout (`crf/`, `packing.py`)."""
