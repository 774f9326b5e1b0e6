"""Internals of the `bilstm_crf_ner` component (as spaCy's
`pipeline/_parser_internals`): the tag inventory (`tags.py`), gold tags
(`gold.py`), decoding under the scheme's constraints (`decoding.py`), the
losses (`losses.py`) and the n-best / uncertainty / alternatives analyses
(`analyses.py`)."""
