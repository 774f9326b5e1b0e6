"""The silver manifest: written safely, read back equal, every bad field named."""
import json
import os
import re
from pathlib import Path

import pytest

from spacy_bilstm_crf.silver.manifest import (
    MANIFEST_NAME,
    ShardInfo,
    SilverCounts,
    SilverManifest,
    read_manifest,
    write_manifest,
)

DIGEST = "ab" * 32


def _manifest(**changes) -> SilverManifest:
    fields = dict(
        teacher="sha256:" + "0" * 64, labels=("LOC", "PER"), tag_scheme="BILUO", sentence_probabilities=True,
        counts=SilverCounts(docs=3, sentences=7, tokens=40, entities={"LOC": 2, "PER": 5}),
        shards=(ShardInfo("silver-00000.spacy", 2, DIGEST), ShardInfo("silver-00001.spacy", 1, DIGEST)),
    )
    fields.update(changes)
    return SilverManifest(**fields)


def test_round_trip(tmp_path: Path):
    path = write_manifest(tmp_path, _manifest())
    assert path == tmp_path / MANIFEST_NAME
    assert read_manifest(tmp_path) == _manifest()
    assert read_manifest(path) == _manifest()
    data = json.loads(path.read_text())
    assert data["format_version"] == 1 and data["kind"] == "spacy-bilstm-crf silver set"
    # Nothing but the manifest is left behind (the temporary file was renamed).
    assert sorted(p.name for p in tmp_path.iterdir()) == [MANIFEST_NAME]


def test_hard_label_teacher_has_no_scheme(tmp_path: Path):
    manifest = _manifest(tag_scheme=None, sentence_probabilities=False)
    write_manifest(tmp_path, manifest)
    assert read_manifest(tmp_path) == manifest


def test_existing_manifest_and_links_are_not_overwritten(tmp_path: Path):
    write_manifest(tmp_path, _manifest())
    with pytest.raises(ValueError, match=r"\[E226\].*already there"):
        write_manifest(tmp_path, _manifest(teacher="other"))
    assert read_manifest(tmp_path).teacher == _manifest().teacher
    write_manifest(tmp_path, _manifest(teacher="other"), overwrite=True)
    assert read_manifest(tmp_path).teacher == "other"
    linked = tmp_path / "linked"
    linked.mkdir()
    target = tmp_path / "elsewhere.json"
    target.write_text("keep")
    os.symlink(target, linked / MANIFEST_NAME)
    with pytest.raises(ValueError, match=r"\[E226\].*symbolic link"):
        write_manifest(linked, _manifest(), overwrite=True)
    assert target.read_text() == "keep"


def test_missing_and_unreadable(tmp_path: Path):
    with pytest.raises(ValueError, match=r"\[E220\].*silver\.json"):
        read_manifest(tmp_path)
    (tmp_path / MANIFEST_NAME).write_text("{not json")
    with pytest.raises(ValueError, match=r"\[E221\] .*silver\.json"):
        read_manifest(tmp_path)
    (tmp_path / MANIFEST_NAME).write_text("[]")
    with pytest.raises(ValueError, match=r"\[E221\].*JSON list"):
        read_manifest(tmp_path)


@pytest.mark.parametrize(
    "edit,code,field",
    [
        (lambda d: d.pop("teacher"), "E222", "teacher"),
        (lambda d: d.update(teacher=""), "E222", "teacher"),
        (lambda d: d.update(kind="something else"), "E222", "kind"),
        (lambda d: d.update(format_version=2), "E223", None),
        (lambda d: d.update(labels="LOC"), "E222", "labels"),
        (lambda d: d.update(labels=["LOC", "LOC"]), "E222", "labels"),
        (lambda d: d.update(tag_scheme="IOB"), "E222", "tag_scheme"),
        (lambda d: d.update(sentence_probabilities="yes"), "E222", "sentence_probabilities"),
        (lambda d: d["counts"].update(tokens=-1), "E222", "counts.tokens"),
        (lambda d: d["counts"].pop("sentences"), "E222", "counts.sentences"),
        (lambda d: d["counts"]["entities"].update(ORG=1), "E222", "counts.entities.ORG"),
        (lambda d: d["shards"][1].update(file="../x.spacy"), "E222", "shards[1].file"),
        (lambda d: d["shards"][1].update(file="silver-00000.spacy"), "E222", "shards[1].file"),
        (lambda d: d["shards"][0].update(sha256="xyz"), "E222", "shards[0].sha256"),
        (lambda d: d["shards"][0].update(docs=5), "E222", "shards"),
    ],
)
def test_bad_field_is_named(tmp_path: Path, edit, code, field):
    data = _manifest().to_json()
    edit(data)
    (tmp_path / MANIFEST_NAME).write_text(json.dumps(data))
    pattern = re.escape(f"[{code}] {tmp_path / MANIFEST_NAME}")
    if field is not None:
        pattern += re.escape(f": field '{field}'")
    with pytest.raises(ValueError, match=pattern):
        read_manifest(tmp_path)
