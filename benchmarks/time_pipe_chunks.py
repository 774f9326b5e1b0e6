"""Inference words/s of one pipeline on a DocBin with `max_predict_words`
overridden, one process, one thread: run it alternately for each setting
(docs/benchmarks.md, issue 18, "What chunked prediction costs").

    for r in 1 2 3 4; do for w in 0 20000 5000; do
        python benchmarks/time_pipe_chunks.py MODEL DEV.spacy --max-predict-words $w
    done; done
"""
import json
import time
from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(add_completion=False)


@app.command()
def main(
    model: Path = typer.Argument(..., exists=True, help="A pipeline with a bilstm_crf_ner"),
    dev: Path = typer.Argument(..., exists=True, help="DocBin whose texts are annotated"),
    max_predict_words: Optional[int] = typer.Option(None, help="Override the component's setting (0: no limit)"),
    batch_size: int = typer.Option(256, help="nlp.pipe batch size"),
) -> None:
    import spacy
    import torch
    from spacy.tokens import DocBin

    torch.set_num_threads(1)
    config = {} if max_predict_words is None else {"components": {"bilstm_crf_ner": {"max_predict_words": max_predict_words}}}
    nlp = spacy.load(model, config=config)
    texts = [doc.text for doc in DocBin().from_disk(dev).get_docs(nlp.vocab)]
    words = sum(len(text.split()) for text in texts)
    list(nlp.pipe(texts[:20]))  # warm-up
    start = time.process_time()
    list(nlp.pipe(texts, batch_size=batch_size))
    cpu_s = time.process_time() - start
    typer.echo(json.dumps({"max_predict_words": max_predict_words, "words": words, "cpu_s": round(cpu_s, 3),
                           "words_per_s": round(words / cpu_s)}))


if __name__ == "__main__":
    app()
