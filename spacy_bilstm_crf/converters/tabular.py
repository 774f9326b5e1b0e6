"""Gold tokens to Docs, for the token-per-line formats (csv, conll, tsv).

Docs are built from the source's own tokens (never re-tokenized): words, POS
as `tag_`, `is_sent_start` on each sentence's first token, IOB2 entities.
"""
from typing import Dict, List, NamedTuple, Optional, Sequence

from spacy.tokens import Doc
from spacy.vocab import Vocab

from .iob import SCHEMES, detect_scheme, to_iob2
from .report import Summary
from ..errors import Errors


class RawSentence(NamedTuple):
    words: List[str]
    pos: Optional[List[str]]
    ner: List[str]
    line: int  # line of the sentence's first token
    sent_id: Optional[int] = None  # csv: the N of "Sentence: N"


RawDoc = List[RawSentence]


def group_sentences(sentences: Sequence[RawSentence], n_sents: int) -> List[RawDoc]:
    """Documents of n_sents sentences, for sources without document markers."""
    if n_sents < 1:
        raise ValueError(Errors.E412.format(n_sents=n_sents))
    return [list(sentences[i : i + n_sents]) for i in range(0, len(sentences), n_sents)]


def resolve_scheme(raw_docs: Sequence[RawDoc], scheme: str, summary: Summary) -> str:
    """The tag scheme to read with ('auto' detected); also records the entity
    types as read (summary.source_labels), before any renaming."""
    summary.source_labels = {tag[2:] for doc in raw_docs for s in doc for tag in s.ner if tag != "O"}
    if scheme not in SCHEMES:
        raise ValueError(Errors.E413.format(scheme=scheme, choices=", ".join(SCHEMES)))
    if scheme == "auto":
        scheme = detect_scheme(s.ner for doc in raw_docs for s in doc)
        summary.notes.append(f"tag scheme detected: {scheme.upper()}")
    summary.scheme = scheme
    return scheme


def build_docs(
    vocab: Vocab,
    raw_docs: Sequence[RawDoc],
    scheme: str,
    oddities: Dict[str, int],
    label_map: Optional[Dict[str, str]] = None,
) -> List[Doc]:
    """One Doc per raw document; `scheme` must be resolved ('iob1'/'iob2')."""
    docs = []
    for raw in raw_docs:
        words: List[str] = []
        pos: List[str] = []
        has_pos = all(s.pos is not None for s in raw)
        sent_starts: List[bool] = []
        ents: List[str] = []
        for sent in raw:
            words.extend(sent.words)
            if has_pos:
                pos.extend(sent.pos)  # type: ignore[arg-type]
            sent_starts.append(True)
            sent_starts.extend([False] * (len(sent.words) - 1))
            ents.extend(to_iob2(sent.ner, scheme, oddities, label_map))
        spaces = [True] * len(words)
        if spaces:
            spaces[-1] = False
        docs.append(
            Doc(
                vocab,
                words=words,
                spaces=spaces,
                tags=pos if has_pos else None,
                sent_starts=sent_starts,
                ents=ents,
            )
        )
    return docs
