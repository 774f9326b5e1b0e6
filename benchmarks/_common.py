"""What the benchmarks share: run metadata, the corpus table and the model list
(scripts/catalog.py, the project's), and one evaluation of a trained pipeline
(scripts/evaluate.py's `spacy_evaluate`, the project's).

A benchmark script imports it as `benchmarks._common` (the scripts run as
modules from the repository root: `python -m benchmarks.<script>`).
"""
import datetime
import json
import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

REPO = Path(__file__).resolve().parents[1]
# The corpora of the benchmarks (not shipped): conll2003/, bc5cdr/, gmb/ as in the project's assets/.
DATA = REPO.parent / "shared" / "data"

from scripts.catalog import CORPORA, CORPUS_ALIASES, MODELS, NO_SCORES, corpus_source, train_dev_files  # noqa: F401


# The same training settings for every model (all shipped configs agree on the
# batcher, optimizer, dropout and eval_frequency; these pin the rest).
COMMON_SET: Dict[str, Any] = {
    "training.max_steps": 20000,
    "training.patience": 3000,
    "training.eval_frequency": 200,
}


# --- run metadata -------------------------------------------------------------------------------


def machine() -> Dict[str, Any]:
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpus": os.cpu_count(),
        "mem_gib": round(mem_gib, 1),
        "gpu": "none",
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def machine_line() -> str:
    """The machine in one line, for markdown sections."""
    return f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}"


def versions() -> Dict[str, str]:
    import spacy
    import thinc
    import torch

    return {"spacy": spacy.__version__, "thinc": thinc.__version__, "torch": torch.__version__}


def git_state() -> Dict[str, Any]:
    """The commit and the uncommitted package files: the runs use the working tree."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True).stdout.strip()

    return {"commit": git("rev-parse", "HEAD"), "dirty": git("status", "--short", "spacy_bilstm_crf", "configs").splitlines()}


def date() -> str:
    """The date and time as `date` prints them (with the time zone)."""
    return subprocess.run(["date"], capture_output=True, text=True).stdout.strip()


def today() -> str:
    return datetime.date.today().isoformat()


def command(script: str, argv: Optional[List[str]] = None) -> str:
    """The command line that ran `script` (a module name, `benchmarks.<name>`,
    or its file, `benchmarks/<name>.py`) as `python -m`, quoted."""
    args = sys.argv[1:] if argv is None else argv
    module = script[:-3].replace(os.sep, ".") if script.endswith(".py") else script
    return " ".join(["python", "-m", module] + [shlex.quote(a) for a in args])


def parse_settings(items: List[str]) -> Dict[str, Any]:
    """Repeated `--set KEY=VALUE` options as a dict: VALUE parsed as JSON if
    it can be (numbers, null, objects), else kept as a string."""
    settings: Dict[str, Any] = {}
    for item in items:
        key, _, value = item.partition("=")
        try:
            settings[key] = json.loads(value)
        except ValueError:
            settings[key] = value
    return settings


# --- evaluation ---------------------------------------------------------------------------------


def evaluate(model_dir: Path, dev_path: Path, train_path: Optional[Path] = None) -> Dict[str, Any]:
    """spaCy's entity scores of a saved pipeline on a dev corpus (a .spacy file
    or folder), as `spacy evaluate` computes them: ents_p/r/f, ents_per_type,
    eval_seconds (the time of `nlp.evaluate`) and dev_words; given the training
    corpus, also `seen_unseen`: the same predictions scored on the entities seen
    and unseen in training apart (`scripts.evaluate.seen_unseen_scores`)."""
    import spacy
    from spacy.training import Corpus

    from scripts.evaluate import seen_unseen_scores, spacy_evaluate, training_entity_keys

    nlp = spacy.load(model_dir)
    examples = list(Corpus(str(dev_path))(nlp))
    scores = spacy_evaluate(nlp, examples)  # on copies: the examples keep unannotated predicted docs
    keys = ("ents_p", "ents_r", "ents_f", "ents_per_type", "eval_seconds", "dev_words")
    result = {k: scores[k] for k in keys}
    if train_path is not None:
        preds = list(nlp.pipe(eg.predicted for eg in examples))
        result["seen_unseen"] = seen_unseen_scores(
            training_entity_keys(Path(train_path)), [eg.reference for eg in examples], preds
        )
    return result
