"""Transfer a trained bilstm_crf_ner pipeline to a new domain, and compare with training from scratch.

1. Load SOURCE (e.g. a BiLSTM-CRF trained on CoNLL-2003).
2. Keep its embeddings (tok2vec) and LSTM weights; give the component the target corpus's labels
   and resize the output layer and the CRF to the new tag set with the component's
   `resize_labels`: only the `output` and `crf` layers get fresh weights, everything else stays
   as trained (checked here against a snapshot).
3. Fine-tune on CORPUS/train.spacy with spaCy's training loop (the source pipeline's [training]
   settings, with this run's steps), into OUTPUT/finetuned.
4. Train CONFIG from scratch on the same data, same steps and seed, into OUTPUT/scratch.
5. Evaluate both on CORPUS/dev.spacy (scripts/evaluate.py) and write RESULT (JSON).
"""
import json
import shutil
import time
from pathlib import Path
from typing import Dict, List, Tuple

import numpy
import spacy
import typer
from spacy.language import Language
from spacy.tokens import DocBin
from spacy.training.loop import train as train_loop
from spacy.cli._util import setup_gpu

from scripts.evaluate import evaluate_model
from scripts.train import LOG_NAME, META_NAME, logger_override, run_training

COMPONENT = "bilstm_crf_ner"
REINITIALIZED = ("output", "crf")


def corpus_labels(path: Path) -> List[str]:
    """Sorted entity labels of a DocBin (what the component's initialize would pick)."""
    nlp = spacy.blank("en")
    return sorted({e.label_ for doc in DocBin().from_disk(path).get_docs(nlp.vocab) for e in doc.ents})


def weight_snapshot(nlp: Language, skip: Tuple[str, ...] = REINITIALIZED) -> Dict[str, numpy.ndarray]:
    """Copies of every weight of the component's model (thinc params and the LSTMs' torch
    state dicts), except those of the layers named in `skip`."""
    model = nlp.get_pipe(COMPONENT).model
    skipped = {node.id for ref in skip if model.has_ref(ref) for node in model.get_ref(ref).walk()}
    snapshot = {}
    for node in model.walk():
        if node.id in skipped:
            continue
        for name in node.param_names:
            if node.has_param(name):
                snapshot[f"{node.id}.{name}"] = node.ops.to_numpy(node.get_param(name)).copy()
        for i, shim in enumerate(node.shims):
            for key, value in shim._model.state_dict().items():
                snapshot[f"{node.id}.shim{i}.{key}"] = value.detach().cpu().numpy().copy()
    return snapshot


def reset_head(nlp: Language, labels: List[str]) -> Dict[str, List[str]]:
    """New labels; fresh output layer and CRF sized to the new tags; embeddings and LSTMs untouched."""
    ner = nlp.get_pipe(COMPONENT)
    before = weight_snapshot(nlp)
    old_labels = list(ner.labels)
    ner.resize_labels(labels)
    after = weight_snapshot(nlp)
    assert any(".shim" in k for k in before), "no LSTM weights found"
    assert before.keys() == after.keys() and all(numpy.array_equal(before[k], after[k]) for k in before), \
        "embedding or LSTM weights changed while resetting the head"
    assert ner.model.get_ref("output").get_dim("nO") == len(ner.tags)
    return {"source_labels": old_labels, "target_labels": list(ner.labels), "tags": list(ner.tags),
            "kept_weights": len(before)}


def finetune(source: Path, corpus: Path, output: Path, *, gpu_id: int, max_steps: int,
             eval_frequency: int) -> Dict:
    """Fine-tune SOURCE on CORPUS into OUTPUT (model-best, model-last, log, meta)."""
    setup_gpu(gpu_id)
    if output.exists():
        shutil.rmtree(output)
    output.mkdir(parents=True)
    nlp = spacy.load(source)
    info = reset_head(nlp, corpus_labels(corpus / "train.spacy"))
    config = nlp.config
    config["paths"]["train"] = str(corpus / "train.spacy")
    config["paths"]["dev"] = str(corpus / "dev.spacy")
    config["training"]["max_steps"] = max_steps
    config["training"]["eval_frequency"] = eval_frequency
    config["training"]["logger"] = logger_override(output / LOG_NAME)
    # A callback of the source's own training run (e.g. a benchmark's time
    # limit) belongs to that run, and may not even be importable here.
    config["training"]["before_update"] = None
    start, cpu_start = time.perf_counter(), time.process_time()
    train_loop(nlp, output, use_gpu=gpu_id)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    meta = {"source": str(source), "train_seconds": round(seconds, 2), "train_cpu_seconds": round(cpu_seconds, 2),
            "max_steps": max_steps,
            "eval_frequency": eval_frequency, **info}
    (output / META_NAME).write_text(json.dumps(meta, indent=2), encoding="utf8")
    return meta


def summary(metrics: Dict) -> Dict:
    ent = metrics["entities"]
    return {"p": ent["p"], "r": ent["r"], "f": ent["f"], "per_type": {k: v["f"] for k, v in ent["per_type"].items()},
            "token_accuracy": metrics["token_accuracy"], "train_seconds": metrics["train_seconds"]}


def main(
    source: Path = typer.Argument(..., exists=True, file_okay=False, help="Trained source pipeline (bilstm_crf_ner)"),
    corpus: Path = typer.Argument(..., exists=True, file_okay=False, help="Target train.spacy and dev.spacy"),
    output: Path = typer.Argument(..., help="Directory for finetuned/ and scratch/"),
    result: Path = typer.Argument(..., help="JSON file with both dev scores"),
    config: Path = typer.Option(Path("configs/bilstm_crf.cfg"), "--config", exists=True, help="From-scratch config"),
    gpu_id: int = typer.Option(-1, "--gpu-id", "-g", help="GPU id, -1 for CPU"),
    max_steps: int = typer.Option(400, "--max-steps", help="Steps of both runs"),
    eval_frequency: int = typer.Option(100, "--eval-frequency", help="training.eval_frequency"),
) -> None:
    """Fine-tune SOURCE on CORPUS and train CONFIG from scratch; report both dev F1."""
    meta = finetune(source, corpus, output / "finetuned", gpu_id=gpu_id, max_steps=max_steps,
                    eval_frequency=eval_frequency)
    run_training(config, output / "scratch", corpus, gpu_id=gpu_id, max_steps=max_steps,
                 eval_frequency=eval_frequency)
    dev = corpus / "dev.spacy"
    tuned = summary(evaluate_model(output / "finetuned" / "model-best", dev))
    scratch = summary(evaluate_model(output / "scratch" / "model-best", dev))
    report = {"source": str(source), "corpus": str(corpus), "max_steps": max_steps,
              "source_labels": meta["source_labels"], "target_labels": meta["target_labels"],
              "reinitialized": list(REINITIALIZED), "finetuned": tuned, "scratch": scratch,
              "f1_gain": tuned["f"] - scratch["f"]}
    result.parent.mkdir(parents=True, exist_ok=True)
    result.write_text(json.dumps(report, indent=2), encoding="utf8")
    typer.echo(f"dev F1 fine-tuned {100 * tuned['f']:.1f} vs from scratch {100 * scratch['f']:.1f} "
               f"({max_steps} steps each; labels {meta['source_labels']} -> {meta['target_labels']})")


if __name__ == "__main__":
    typer.run(main)
