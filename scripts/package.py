"""Package the best evaluated pipeline (highest dev entity F1) with `spacy package`.

Writes OUTPUT_DIR/<lang>_<name>-<version>/ (the package source and its dist/ sdist) and
records which model was chosen in OUTPUT_DIR/<lang>_<name>-<version>/chosen.json.

spaCy lists every package that provides a factory or registered function of the config as a
requirement: a pipeline with `bilstm_crf_ner` requires `spacy-bilstm-crf`, which is not on PyPI.
Installing the sdist therefore needs this repository installed first (`pip install -e .`);
see docs/how-to/project.md for the manual check.
"""
import json
from pathlib import Path
from typing import Dict, List, Tuple

import typer
from spacy.cli.package import package
from spacy.util import load_meta


def best_model(metrics_dir: Path, models: List[str]) -> Tuple[str, Dict]:
    """The model with the highest dev entity F1, and its metrics."""
    results = {m: json.loads((metrics_dir / f"{m}.json").read_text(encoding="utf8")) for m in models}
    name = max(results, key=lambda m: results[m]["entities"]["f"])
    return name, results[name]


def main(
    metrics_dir: Path = typer.Argument(..., exists=True, file_okay=False, help="Holds <model>.json"),
    output_dir: Path = typer.Argument(..., help="Parent directory of the package"),
    models: str = typer.Option(..., "--models", help="Comma-separated candidates"),
    name: str = typer.Option("ner_bilstm_crf", "--name", help="Package name (without the language prefix)"),
    version: str = typer.Option("0.0.1", "--version", help="Package version"),
) -> None:
    """spacy package the best of MODELS into OUTPUT_DIR."""
    chosen, metrics = best_model(metrics_dir, [m.strip() for m in models.split(",") if m.strip()])
    model_dir = Path(metrics["model_dir"])
    output_dir.mkdir(parents=True, exist_ok=True)
    package(model_dir, output_dir, name=name, version=version, create_sdist=True, force=True, silent=False)
    lang = load_meta(model_dir / "meta.json")["lang"]
    target = output_dir / f"{lang}_{name}-{version}"
    record = {"model": chosen, "model_dir": str(model_dir), "dev_f1": metrics["entities"]["f"],
              "requirements": load_meta(target / "meta.json").get("requirements", [])}
    (target / "chosen.json").write_text(json.dumps(record, indent=2), encoding="utf8")
    typer.echo(f"Packaged {chosen} (dev F1 {100 * metrics['entities']['f']:.1f}) -> {target}; "
               f"requirements: {', '.join(record['requirements'])}")


if __name__ == "__main__":
    typer.run(main)
