"""Batch annotation of large corpora with a trained pipeline: streaming on one
machine (`annotate_local`), or on a Ray cluster (`annotate_ray` in
`ray_engine`, imported on demand)."""
from .io import Record, read_records  # noqa: F401
from .local import annotate_local  # noqa: F401
from .options import AnnotateError, AnnotateOptions, OptionError  # noqa: F401
