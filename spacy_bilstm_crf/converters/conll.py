"""CoNLL-2003 (`token POS chunk NER`, space separated) to Docs.

`-DOCSTART-` lines in any spelling start a document (spaCy's own converter
knows only `-DOCSTART- -X- O O`). Files without them are grouped into
documents of n_sents sentences.
"""
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

from spacy.tokens import Doc
from spacy.vocab import Vocab

from .columns import read_columns
from .common import PathLike, Summary, read_text
from .tabular import build_docs, group_sentences, resolve_scheme


def conll_to_docs(
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
    summary = Summary(input=str(path), format="conll")
    text = read_text(path, encoding, summary.oddities)
    raw_docs, spellings = read_columns(
        path, text, sep=" ", sep_name="space", n_cols=None, docstart=True,
        oddities=summary.oddities, progress=progress,
    )
    if spellings:
        for spelling, n in spellings.items():
            summary.notes.append(f"{n:,} document markers {spelling!r}")
    else:
        raw_docs = group_sentences(raw_docs[0], n_sents)
        summary.notes.append(f"no -DOCSTART- lines: documents of {n_sents} sentences")
    scheme = resolve_scheme(raw_docs, scheme, summary)
    docs = build_docs(vocab or Vocab(), raw_docs, scheme, summary.oddities, label_map)
    return docs, summary.count_docs(docs)
