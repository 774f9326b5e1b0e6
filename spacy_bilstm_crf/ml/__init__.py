"""The models, apart from the component (as spaCy's `spacy/ml`): the registered
architectures (`architectures.py`, one current version per model; the older
versions as shims in `legacy.py`), their thinc layers (`layers/`: LSTMs,
dropout, characters, word embeddings, stacked embeddings, the CRF's
parameters, sentences), the CRF lattice on the packed layout (`crf/`,
`packing.py`), and the training pieces thinc lacks (`optimizers.py`: SGD with
momentum; `schedules.py`: per-epoch decay)."""
