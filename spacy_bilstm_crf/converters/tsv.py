"""Two-column `token<TAB>tag` files (e.g. BC5CDR-IOB) to Docs.

Named `tsv` because spaCy's `iob` converter means `word|tag`. There are no
document markers, so documents are groups of n_sents sentences.
"""
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

from spacy.tokens import Doc
from spacy.vocab import Vocab

from .columns import read_columns
from .common import PathLike, Summary, read_text
from .tabular import build_docs, group_sentences, resolve_scheme


def tsv_to_docs(
    path: PathLike,
    *,
    vocab: Optional[Vocab] = None,
    scheme: str = "auto",
    n_sents: int = 10,
    label_map: Optional[Dict[str, str]] = None,
    encoding: str = "utf-8",
    progress: Optional[Callable[[int], None]] = None,
) -> Tuple[List[Doc], Summary]:
    path = Path(path)
    summary = Summary(input=str(path), format="tsv")
    text = read_text(path, encoding, summary.oddities)
    raw_docs, _ = read_columns(
        path, text, sep="\t", sep_name="tab", n_cols=2, docstart=False,
        oddities=summary.oddities, progress=progress,
    )
    raw_docs = group_sentences(raw_docs[0], n_sents)
    summary.notes.append(f"documents of {n_sents} sentences (the format has no document markers)")
    scheme = resolve_scheme(raw_docs, scheme, summary)
    docs = build_docs(vocab or Vocab(), raw_docs, scheme, summary.oddities, label_map)
    return docs, summary.count_docs(docs)
