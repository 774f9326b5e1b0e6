"""Test helpers, imported as `helpers.ner` (a toy NER set, tiny configs, a
trainer, a tiny BERT) and `helpers.annotate` (a trained model and JSONL
utilities for the annotate tests). setup.cfg's `pythonpath` makes tests/ importable."""
