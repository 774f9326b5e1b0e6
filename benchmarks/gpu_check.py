"""Training and inference words/s of the shipped BiLSTM-CRF on a GPU next to the
same run on the CPU, and whether both give the same entities (issue 19).

    python -m benchmarks.gpu_check --data-dir .gpu_data --out gpu_check.json

Run by benchmarks/gpu_check.sh on a lent GPU machine. Each training is a
`spacy train` subprocess (`--gpu-id 0` or CPU with `--threads` threads) of
`--steps` updates at the config's batch size, logged by bench_ner's
TimedLogger (words/s over update time only, evaluations excluded).
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

import typer

REPO = Path(__file__).resolve().parents[1]
HOOKS = REPO / "benchmarks" / "_ner_hooks.py"


def train(config: Path, data: Path, out: Path, steps: int, gpu: bool, threads: int) -> Dict[str, Any]:
    log = out / "train_log.jsonl"
    env = dict(os.environ, PYTHONUNBUFFERED="1", BENCH_NER_T0=repr(time.time()))
    env.update({v: str(threads) for v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "BENCH_NER_TORCH_THREADS")})
    cmd = [
        sys.executable, "-m", "spacy", "train", str(config), "--output", str(out / "output"), "--code", str(HOOKS),
        "--paths.train", str(data / "conll_train.spacy"), "--paths.dev", str(data / "conll_dev.spacy"),
        "--training.max_steps", str(steps), "--training.eval_frequency", str(steps),
        "--training.batcher.size.start", "1000",  # the config's full batch size from the first step
        "--training.logger", json.dumps({"@loggers": "bench_ner.TimedLogger.v1", "output_file": str(log)}),
        "--components.bilstm_crf_ner.spans_key", "null",
    ] + (["--gpu-id", "0"] if gpu else [])
    print(" ".join(cmd), flush=True)
    subprocess.run(cmd, cwd=REPO, env=env, check=True)
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    last = [r for r in rows if r.get("event") == "eval"][-1]
    return {
        "device": "gpu" if gpu else f"cpu, {threads} threads",
        "steps": last["step"],
        "words": last["words"],
        "update_s": last["update_s"],
        "words_per_s": last["words"] / last["update_s"],
        "dev_ents_f": last["scores"].get("ents_f"),
    }


def infer(model: Path, texts: List[str], gpu: bool, batch_size: int) -> Dict[str, Any]:
    import spacy
    from thinc.api import NumpyOps, set_current_ops

    if gpu:
        spacy.require_gpu(0)
    else:
        set_current_ops(NumpyOps())
    nlp = spacy.load(model)
    list(nlp.pipe(texts[:50], batch_size=batch_size))  # warm-up (CUDA kernels, caches)
    start = time.perf_counter()
    docs = list(nlp.pipe(texts, batch_size=batch_size))
    seconds = time.perf_counter() - start
    set_current_ops(NumpyOps())
    words = sum(len(doc) for doc in docs)
    ents = [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in docs]
    return {"words_per_s": words / seconds, "seconds": seconds, "ents": ents}


def main(
    data_dir: Path = typer.Option(REPO / ".gpu_data", "--data-dir", help="conll_train.spacy and conll_dev.spacy"),
    out: Path = typer.Option(REPO / ".gpu_out" / "gpu_check.json", "--out"),
    config: Path = typer.Option(REPO / "configs" / "bilstm_crf.cfg", "--config"),
    steps: int = typer.Option(300, "--steps", help="Training updates per device"),
    cpu_threads: int = typer.Option(2, "--cpu-threads", help="Threads of the CPU run (our machines have 2 cores)"),
    batch_size: int = typer.Option(256, "--batch-size", help="nlp.pipe batch size for inference"),
) -> None:
    import spacy
    import torch
    from spacy.tokens import DocBin

    torch.set_num_threads(cpu_threads)
    work = out.parent / "gpu_check_runs"
    result: Dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
                              "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
                              "config": str(config.relative_to(REPO)), "steps": steps}
    result["train_gpu"] = train(config, data_dir, work / "gpu", steps, True, cpu_threads)
    result["train_cpu"] = train(config, data_dir, work / "cpu", steps, False, cpu_threads)
    result["train_speedup"] = result["train_gpu"]["words_per_s"] / result["train_cpu"]["words_per_s"]
    nlp = spacy.blank("en")
    texts = [doc.text for doc in DocBin().from_disk(data_dir / "conll_dev.spacy").get_docs(nlp.vocab)]
    model = work / "gpu" / "output" / "model-last"
    on_gpu = infer(model, texts, True, batch_size)
    on_cpu = infer(model, texts, False, batch_size)
    differ = [i for i, (a, b) in enumerate(zip(on_gpu["ents"], on_cpu["ents"])) if a != b]
    result["infer_gpu_words_per_s"] = on_gpu["words_per_s"]
    result["infer_cpu_words_per_s"] = on_cpu["words_per_s"]
    result["infer_speedup"] = on_gpu["words_per_s"] / on_cpu["words_per_s"]
    result["docs"] = len(texts)
    result["docs_with_different_entities"] = len(differ)
    result["first_differences"] = [
        {"doc": i, "gpu": on_gpu["ents"][i], "cpu": on_cpu["ents"][i]} for i in differ[:5]
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2), encoding="utf8")
    for key in ("train_gpu", "train_cpu"):
        r = result[key]
        print(f"training, {r['device']}: {r['words_per_s']:,.0f} words/s over {r['steps']} steps")
    print(f"training speed-up GPU/CPU: {result['train_speedup']:.1f}x (target >= 10x)")
    print(f"inference: GPU {on_gpu['words_per_s']:,.0f} words/s, CPU {on_cpu['words_per_s']:,.0f} words/s, "
          f"{result['infer_speedup']:.1f}x (target >= 5x)")
    print(f"docs with different entities GPU vs CPU: {len(differ)} of {len(texts)}")


if __name__ == "__main__":
    typer.run(main)
