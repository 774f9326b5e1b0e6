"""Silver training data for distillation: a teacher pipeline's annotations of
raw text (DocBin shards and a manifest), read by spacy-bilstm-crf.SilverCorpus.v1."""
from .layout import ENTITIES_KEY, SENTENCES_KEY, mark_unsure_missing, sentence_probabilities  # noqa: F401
from .manifest import MANIFEST_NAME, SilverCounts, SilverManifest, read_manifest, write_manifest  # noqa: F401
from .shards import check_silver_set, describe_shards, read_silver_docs, write_silver_set  # noqa: F401
from .teacher import (  # noqa: F401
    Teacher, annotate_sentences, find_teacher, saved_teacher_fingerprint, scores_switched_on, silver_doc,
    teacher_fingerprint,
)
