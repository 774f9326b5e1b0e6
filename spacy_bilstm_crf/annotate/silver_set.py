"""`annotate --output-format docbin --silver`: the DocBin shards are a
silver set (`spacy_bilstm_crf.silver`), read by
`spacy-bilstm-crf.SilverCorpus.v1` as they are.

Each annotated doc is written as a silver doc (its tokens and sentences, the
teacher's entities and, for a `bilstm_crf_ner` teacher, its sentence and
entity probabilities, switched on for the run); the manifest `silver.json`
is written when the job is complete, from the shards themselves
(`describe_shards`). While a job runs or resumes there is no manifest: the
folder is an unfinished set, which the reader refuses.
"""
from contextlib import contextmanager
from typing import Iterator, List

from spacy.language import Language
from spacy.tokens import Doc

from ..errors import Errors
from ..silver.manifest import manifest_path, write_manifest
from ..silver.shards import describe_shards
from ..silver.teacher import find_teacher, scores_switched_on, silver_doc
from .job import Job
from .options import AnnotateError
from .writers import OURS


class SilverOutput:
    """The silver side of a DocBin job: checks its folder, converts its docs,
    writes its manifest."""

    @staticmethod
    def check_folder(job: Job) -> None:
        """Before any work: the folder holds no DocBin file but this job's
        shards, and a manifest only from an earlier run of this job (to
        resume) or on --overwrite; AnnotateError (E249) otherwise."""
        directory, manifest = job.output_path, manifest_path(job.output_path)
        foreign = sorted(p.name for p in directory.glob("*.spacy") if not OURS.match(p.name))
        if foreign:
            raise AnnotateError(Errors.E249.format(path=directory, what=f"the DocBin file {foreign[0]!r}"))
        if manifest.is_symlink() or (manifest.exists() and job.state is None and not job.options.overwrite):
            raise AnnotateError(Errors.E249.format(path=directory, what=f"a {manifest.name}"))

    def __init__(self, nlp: Language, job: Job) -> None:
        self.directory = job.output_path
        self.manifest = manifest_path(self.directory)
        try:
            self.teacher = find_teacher(nlp)
        except ValueError as err:
            raise AnnotateError(str(err)) from None
        # The digest of the model directory the job is bound to (silver.teacher.saved_teacher_fingerprint).
        self.fingerprint = "sha256:" + job.binding["model"]["sha256"]

    def start(self) -> None:
        """Remove the manifest of an earlier run of this job: its shards are about to change."""
        if self.manifest.exists():
            self.manifest.unlink()

    @contextmanager
    def scores(self) -> Iterator[None]:
        """The teacher's probabilities switched on while the job runs (our component only)."""
        with scores_switched_on(self.teacher):
            yield

    def doc(self, doc: Doc) -> Doc:
        """The silver doc of an annotated doc; ValueError (the line is rejected) if it has none."""
        return silver_doc(doc, self.teacher)

    def finish(self, names: List[str]) -> None:
        """Write the manifest of the complete job's shards (their file names, in order)."""
        manifest = describe_shards(self.directory, names, teacher=self.fingerprint, labels=self.teacher.labels,
                                   tag_scheme=self.teacher.tag_scheme)
        write_manifest(self.directory, manifest, overwrite=True)
