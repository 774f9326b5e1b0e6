"""`annotate --output-format docbin --silver`: the output folder is a silver set
(shards + silver.json) that spacy-bilstm-crf.SilverCorpus.v1 reads as it is."""
import json
from pathlib import Path

import pytest
import spacy
from spacy.tokens import Doc, DocBin
from typer.testing import CliRunner

from helpers.annotate import text_of, trained_model, write_lines
from spacy_bilstm_crf.annotate.local import annotate_local
from spacy_bilstm_crf.annotate.options import AnnotateError, AnnotateOptions, OptionError
from spacy_bilstm_crf.cli import app
from spacy_bilstm_crf.readers.silver import create_silver_corpus
from spacy_bilstm_crf.silver import (
    MANIFEST_NAME, check_silver_set, read_silver_docs, saved_teacher_fingerprint, sentence_probabilities,
)

N_LINES = 24
SILVER = dict(output_format="docbin", silver=True, shard_size=10, progress=False)


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    return trained_model(tmp_path_factory)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_lines(tmp_path / "in.txt", [text_of(i) for i in range(N_LINES)])


def gold(tmp_path: Path, nlp) -> Path:
    path = tmp_path / "gold.spacy"
    DocBin(docs=[Doc(nlp.vocab, words=["Berlin", "Shaka", "Khan"], ents=["B-LOC", "B-PERSON", "I-PERSON"])]).to_disk(path)
    return path


def test_silver_set_of_our_teacher_with_probabilities(model: Path, corpus: Path, tmp_path: Path):
    out = tmp_path / "silver"
    stats = annotate_local(model, corpus, out, **SILVER)
    assert stats["total_docs"] == N_LINES
    manifest = check_silver_set(out)
    nlp = spacy.load(model)
    assert manifest.teacher == saved_teacher_fingerprint(model)
    assert manifest.labels == ("LOC", "PERSON") and manifest.tag_scheme == "BILUO"
    assert manifest.sentence_probabilities and manifest.counts.docs == N_LINES
    assert [s.file for s in manifest.shards] == ["part-00000.spacy", "part-00001.spacy", "part-00002.spacy"]
    docs = [doc for _, _, doc in read_silver_docs(out, manifest, nlp.vocab)]
    assert [d.text for d in docs] == [text_of(i) for i in range(N_LINES)]
    assert [d.user_data["line"] for d in docs] == list(range(1, N_LINES + 1))
    assert all(0 < p <= 1 for d in docs for _, _, p in sentence_probabilities(d))
    # What the same pipeline labels on its own.
    assert [[(e.start, e.end, e.label_) for e in d.ents] for d in docs] == \
        [[(e.start, e.end, e.label_) for e in nlp(text_of(i)).ents] for i in range(N_LINES)]
    reader = create_silver_corpus(path=gold(tmp_path, nlp), silver_path=out, min_sentence_prob=0.5)
    assert len(list(reader(nlp))) == 1 + N_LINES
    # A re-run of the finished job changes nothing and keeps a valid manifest.
    before = (out / MANIFEST_NAME).read_bytes()
    annotate_local(model, corpus, out, **SILVER)
    assert (out / MANIFEST_NAME).read_bytes() == before and check_silver_set(out) == manifest


def test_interrupted_job_has_no_manifest_until_it_is_complete(model: Path, corpus: Path, tmp_path: Path):
    out = tmp_path / "silver"
    annotate_local(model, corpus, out, max_docs=12, checkpoint_every=5, **SILVER)
    assert not (out / MANIFEST_NAME).exists()
    annotate_local(model, corpus, out, **SILVER)
    full = tmp_path / "full"
    annotate_local(model, corpus, full, **SILVER)
    a, b = check_silver_set(out), check_silver_set(full)
    assert a.counts == b.counts and [s.sha256 for s in a.shards] == [s.sha256 for s in b.shards]


def test_ray_engine_writes_the_same_silver_set(model: Path, corpus: Path, tmp_path: Path):
    """`--engine ray --silver`: the actors' silver docs are the local engine's,
    in line order, a shard per chunk, with the same manifest but for the shards."""
    pytest.importorskip("ray", reason="ray is pinned in requirements.txt; install it to run this")
    from spacy_bilstm_crf.annotate.ray_engine import annotate_ray

    local, ray = tmp_path / "local", tmp_path / "ray"
    annotate_local(model, corpus, local, **SILVER)
    stats = annotate_ray(model, corpus, ray, output_format="docbin", silver=True, num_workers=1, chunk_size=10,
                         batch_size=4)
    assert stats["total_docs"] == N_LINES and stats["total_rejected"] == 0
    a, b = check_silver_set(local), check_silver_set(ray)
    assert b.teacher == a.teacher and b.labels == a.labels and b.tag_scheme == a.tag_scheme
    assert b.counts == a.counts and b.sentence_probabilities
    assert [(s.file, s.docs) for s in b.shards] == [("part-00000.spacy", 10), ("part-00001.spacy", 10),
                                                     ("part-00002.spacy", 4)]
    vocab = spacy.blank("en").vocab

    def content(folder: Path, manifest):
        return [(d.text, d.user_data["line"], [(e.start, e.end, e.label_) for e in d.ents],
                 sentence_probabilities(d), d.spans["silver_entities"].attrs["scores"])
                for _, _, d in read_silver_docs(folder, manifest, vocab)]

    assert content(ray, b) == content(local, a)
    # Plain DocBin output (no --silver): the annotated docs, no manifest.
    plain = tmp_path / "plain"
    annotate_ray(model, corpus, plain, output_format="docbin", num_workers=1, chunk_size=30)
    docs = list(DocBin(store_user_data=True).from_disk(plain / "part-00000.spacy").get_docs(vocab))
    assert [d.text for d in docs] == [text_of(i) for i in range(N_LINES)] and not (plain / MANIFEST_NAME).exists()


def test_other_teacher_gives_hard_labels(corpus: Path, tmp_path: Path):
    ruler = spacy.blank("en")
    ruler.add_pipe("sentencizer")
    ruler.add_pipe("entity_ruler").add_patterns([{"label": "LOC", "pattern": "Berlin"}])
    ruler.to_disk(tmp_path / "ruler")
    out = tmp_path / "silver"
    result = CliRunner().invoke(app, ["annotate", str(tmp_path / "ruler"), str(corpus), str(out),
                                      "--output-format", "docbin", "--silver"])
    assert result.exit_code == 0, result.output
    manifest = check_silver_set(out)
    assert manifest.labels == ("LOC",) and manifest.tag_scheme is None and not manifest.sentence_probabilities
    # The teacher is named by its saved files, as the `distill` command names it (the same in every process).
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("Berlin is big .\n", encoding="utf8")
    result = CliRunner().invoke(app, ["distill", str(tmp_path / "ruler"), str(tokens), str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    assert manifest.teacher == check_silver_set(tmp_path / "d").teacher == saved_teacher_fingerprint(tmp_path / "ruler")
    assert manifest.counts.entities["LOC"] == sum(text_of(i).count("Berlin") for i in range(N_LINES))


@pytest.mark.parametrize("options,match", [
    (dict(engine="ray", output_format="docbin", silver=True, shard_size=10),
     r"\[E304\] --shard-size applies only with --engine local"),
    (dict(silver=True), r"\[E304\] --silver applies only with --output-format docbin"),
    (dict(output_format="docbin", silver=True, uncertainty=True, n_best=2), r"\[E248\] .*drop --n-best, --uncertainty"),
])
def test_bad_option_combinations(options, match):
    with pytest.raises(OptionError, match=match):
        AnnotateOptions(**options).validated()


def test_refuses_a_folder_with_someone_elses_data(model: Path, corpus: Path, tmp_path: Path):
    out = tmp_path / "silver"
    out.mkdir()
    DocBin().to_disk(out / "silver-00000.spacy")
    with pytest.raises(AnnotateError, match=r"\[E249\] .*the DocBin file 'silver-00000.spacy'"):
        annotate_local(model, corpus, out, **SILVER)
    (out / "silver-00000.spacy").unlink()
    (out / MANIFEST_NAME).write_text(json.dumps({"kind": "mine"}), encoding="utf8")
    with pytest.raises(AnnotateError, match=r"\[E249\] .*a silver.json"):
        annotate_local(model, corpus, out, **SILVER)
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST_NAME]
