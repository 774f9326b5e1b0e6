from .ner import BiLSTMCRFNER, make_bilstm_crf_ner  # noqa: F401
