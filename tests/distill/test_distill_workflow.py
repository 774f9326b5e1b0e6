"""The project's `distill` workflow (parsed, not run: tests/test_project.py runs `all`) and
scripts/strip_labels.py, which makes its unlabelled text."""
import json
import re
from pathlib import Path

import pytest
import srsly
import typer
from spacy.tokens import Doc, DocBin
from spacy.vocab import Vocab
from weasel.util import load_project_config

from scripts.strip_labels import main as strip_main
from scripts.strip_labels import strip_labels
from spacy_bilstm_crf.cli import app
from spacy_bilstm_crf.silver.text import read_sentences

ROOT = Path(__file__).parent.parent.parent
STEPS = ["distill-text", "distill-silver", "distill-train", "distill-evaluate"]


@pytest.fixture(scope="module")
def project() -> dict:
    return load_project_config(ROOT, overrides={"vars.distill_text": "my/own text.txt"})


def test_workflow_chains_its_steps(project: dict):
    commands = {c["name"]: c for c in project["commands"]}
    flow = project["workflows"]["distill"]
    assert flow[-4:] == STEPS and all(name in commands for name in flow)
    # `all` is as it was: no distillation step in it.
    assert not set(STEPS) & set(project["workflows"]["all"])
    teacher = flow[flow.index("vectors") + 1]
    assert teacher == f"train-{srsly.read_yaml(ROOT / 'project.yml')['vars']['distill_teacher']}"
    # Each step depends on what the step before it writes.
    assert commands[teacher]["outputs"][0] in commands["distill-silver"]["deps"]
    assert commands["distill-silver"]["outputs"][0] in commands["distill-train"]["deps"]
    assert commands["distill-train"]["outputs"][0] in commands["distill-evaluate"]["deps"]
    assert commands["train-bilstm_crf_vectors"]["outputs"][0] in commands["distill-evaluate"]["deps"]
    # The user's own text (a variable) is read as given, a dependency of its own.
    assert "my/own text.txt" in commands["distill-silver"]["deps"]
    assert " my/own text.txt " in commands["distill-silver"]["script"][0]
    for name in STEPS:
        for line in commands[name]["script"]:
            module = re.match(r"python -m (\S+)", line).group(1)
            if module.startswith("scripts."):
                assert (ROOT / (module.replace(".", "/") + ".py")).is_file(), line
            else:
                assert module == "spacy_bilstm_crf" and line.split()[3] in {c.name for c in app.registered_commands}
            for config in re.findall(r"configs/\S+\.cfg", line):
                assert (ROOT / config).is_file(), config


CSV = ["Sentence #,Word,POS,Tag", "Sentence: 1,Thousands,NNS,O", ",in,IN,O", ",London,NNP,B-geo", ",\u2019s,POS,O",
       "Sentence: 2,Peter,NNP,B-per", ",came,VBD,O"]
TSV = "Selegiline\tB-Chemical\n-\tO\ninduced\tO\n\nRain\tO\n.\tO\n"


@pytest.mark.parametrize("name,content,expected", [
    ("gmb.csv", ("\r\n".join(CSV) + "\r\n").encode("cp1252"), ["Thousands in London \u2019s", "Peter came"]),
    ("bc.tsv", TSV.encode("utf8"), ["Selegiline - induced", "Rain ."]),
    ("c.txt", b"-DOCSTART- -X- O O\n\nEU NNP I-NP I-ORG\nrejects VBZ I-VP O\n\nPeter NNP I-NP I-PER\n", ["EU rejects", "Peter"]),
])
def test_strip_labels_keeps_the_converters_tokens(tmp_path: Path, name: str, content: bytes, expected: list):
    source = tmp_path / name
    source.write_bytes(content)
    out = tmp_path / "text.txt"
    assert strip_labels(source, out) == len(expected)
    assert out.read_text(encoding="utf8").splitlines() == expected
    assert [" ".join(s) for s in read_sentences(out)] == expected


def test_strip_labels_jsonl_for_tokens_with_spaces_and_refusals(tmp_path: Path, capsys):
    source = tmp_path / "gold.spacy"
    DocBin(docs=[Doc(Vocab(), words=["New\u00a0York", "is", "big"], ents=["B-LOC", "O", "O"])]).to_disk(source)
    with pytest.raises(ValueError, match=r"\[E250\] .*sentence 1 holds the token 'New\\xa0York'"):
        strip_labels(source, tmp_path / "text.txt")
    assert not (tmp_path / "text.txt").exists()
    strip_labels(source, tmp_path / "text.jsonl")
    assert [json.loads(line) for line in (tmp_path / "text.jsonl").read_text(encoding="utf8").splitlines()] == \
        [{"tokens": ["New\u00a0York", "is", "big"]}]
    assert list(read_sentences(tmp_path / "text.jsonl")) == [["New\u00a0York", "is", "big"]]
    with pytest.raises(ValueError, match=r"\[E226\] .*text\.jsonl: it exists"):
        strip_labels(source, tmp_path / "text.jsonl")
    with pytest.raises(ValueError, match=r"\[E300\]"):
        strip_labels(source, source, overwrite=True)
    with pytest.raises(typer.Exit):
        strip_main(source, tmp_path / "x.txt", format="xml", encoding=None, overwrite=False)
    assert "[E251] Unknown --format 'xml'" in " ".join(capsys.readouterr().err.split())
