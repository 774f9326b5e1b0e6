"""BioCreative V CDR PubTator files to Docs.

Each abstract becomes one Doc of `title + " " + abstract` (the text the
mention offsets index), tokenized by spaCy's English tokenizer. The title is
its own sentence; the abstract is split by spaCy's rule-based `sentencizer`.
Mentions are aligned to tokens with `alignment_mode="expand"`; widened
mentions are reported, and where mentions overlap the longest is kept (then the
earliest, then the first listed) and each dropped one is reported.
"""
from pathlib import Path
from typing import Callable, Dict, List, NamedTuple, Optional, Tuple

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

from .common import ConversionError, MentionNote, PathLike, Summary, add_oddity, read_text

NO_FINAL_NEWLINE = "missing final newline"
CRLF = "CRLF line endings"


class Mention(NamedTuple):
    start: int
    end: int
    text: str
    label: str
    line: int


class Abstract(NamedTuple):
    pmid: str
    title: str
    abstract: str
    mentions: List[Mention]
    line: int


def read_pubtator(path: Path, text: str, summary: Summary) -> List[Abstract]:
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    else:
        add_oddity(summary.oddities, NO_FINAL_NEWLINE)
    abstracts: List[Abstract] = []
    pmid = title = None
    body: Optional[str] = None
    mentions: List[Mention] = []
    first = 0

    def finish() -> None:
        if pmid is not None:
            abstracts.append(Abstract(pmid, title or "", body or "", mentions, first))

    for i, line in enumerate(lines, 1):
        if line.endswith("\r"):
            add_oddity(summary.oddities, CRLF)
            line = line[:-1]
        if not line.strip():
            continue
        head = line.split("|", 2)
        if len(head) == 3 and head[1] in ("t", "a") and "\t" not in head[0]:
            if head[1] == "t":
                finish()
                pmid, title, body, mentions, first = head[0], head[2], None, [], i
            elif head[0] != pmid or body is not None:
                raise ConversionError(path, i, f"expected '{head[0]}|a|' right after '{head[0]}|t|'")
            else:
                body = head[2]
            continue
        fields = line.split("\t")
        if pmid is None or body is None:
            raise ConversionError(path, i, "expected 'PMID|t|title' and 'PMID|a|abstract' before annotation lines")
        if fields[0] != pmid:
            raise ConversionError(path, i, f"expected PMID {pmid} (the current abstract), got {fields[0]!r}")
        if len(fields) >= 5 and fields[1].isdigit() and fields[2].isdigit():
            mentions.append(Mention(int(fields[1]), int(fields[2]), fields[3], fields[4], i))
        elif len(fields) == 4 and not fields[1].isdigit():
            summary.relation_lines_ignored += 1
        else:
            raise ConversionError(
                path, i,
                "expected a mention line (PMID, start, end, text, type, id) or a relation line "
                f"(PMID, relation, id, id), tab-separated; got {line!r}",
            )
    finish()
    if not abstracts:
        raise ConversionError(path, 1, "no 'PMID|t|title' line found")
    return abstracts


def check_mentions(path: Path, abstract: Abstract, text: str) -> None:
    for m in abstract.mentions:
        if not 0 <= m.start < m.end <= len(text):
            raise ConversionError(
                path, m.line,
                f"offsets [{m.start}, {m.end}) are outside the text of PMID {abstract.pmid} "
                f"(title + ' ' + abstract, {len(text)} characters)",
            )
        if text[m.start : m.end] != m.text:
            raise ConversionError(
                path, m.line,
                f"mention text {m.text!r} does not match the text at [{m.start}, {m.end}): "
                f"{text[m.start:m.end]!r}",
            )


def set_sentences(nlp: Language, doc: Doc, title_len: int) -> Doc:
    """Title: one sentence; abstract: the sentencizer's sentences."""
    doc = nlp.get_pipe("sentencizer")(doc)
    for token in doc:
        if token.idx < title_len:
            token.is_sent_start = token.i == 0
        else:
            token.is_sent_start = True  # first abstract token
            break
    return doc


def choose_entities(
    path: Path, doc: Doc, abstract: Abstract, summary: Summary, label_map: Dict[str, str]
) -> List[Span]:
    """Token-aligned entities: widened mentions noted, overlaps resolved by
    keeping the longest (then earliest, then first listed), drops noted."""
    spans: List[Tuple[Span, Mention]] = []
    for m in abstract.mentions:
        label = label_map.get(m.label, m.label)
        span = doc.char_span(m.start, m.end, label=label, alignment_mode="expand")
        if span is None:
            raise ConversionError(path, m.line, f"mention {m.text!r} covers no token")
        if span.start_char != m.start or span.end_char != m.end:
            summary.widened.append(
                MentionNote(abstract.pmid, m.start, m.end, m.text, label, m.line,
                            f"widened to [{span.start_char}, {span.end_char}) {span.text!r}")
            )
        spans.append((span, m))
    order = sorted(range(len(spans)), key=lambda k: (-(spans[k][0].end_char - spans[k][0].start_char),
                                                    spans[k][0].start_char, k))
    taken: Dict[int, Tuple[Span, Mention]] = {}
    kept: List[Span] = []
    for k in order:
        span, m = spans[k]
        clash = next((taken[t] for t in range(span.start, span.end) if t in taken), None)
        if clash is not None:
            other, om = clash
            summary.dropped.append(
                MentionNote(abstract.pmid, m.start, m.end, m.text, span.label_, m.line,
                            f"overlaps kept [{om.start}, {om.end}) {other.label_} {om.text!r}")
            )
            continue
        for t in range(span.start, span.end):
            taken[t] = (span, m)
        kept.append(span)
    return sorted(kept, key=lambda s: s.start)


def pubtator_to_docs(
    path: PathLike,
    *,
    nlp: Optional[Language] = None,
    label_map: Optional[Dict[str, str]] = None,
    encoding: str = "utf-8",
    progress: Optional[Callable[[int], None]] = None,
) -> Tuple[List[Doc], Summary]:
    path = Path(path)
    summary = Summary(input=str(path), format="pubtator", scheme=None)
    text = read_text(path, encoding)
    abstracts = read_pubtator(path, text, summary)
    if nlp is None:
        nlp = spacy.blank("en")
    if "sentencizer" not in nlp.pipe_names:
        nlp.add_pipe("sentencizer")
    summary.notes.append(
        "tokenized by spacy.blank('en'); sentences: the title, then the abstract split by "
        "spaCy's rule-based sentencizer"
    )
    mentions: Dict[str, int] = {}
    docs = []
    for abstract in abstracts:
        full = f"{abstract.title} {abstract.abstract}"
        check_mentions(path, abstract, full)
        for m in abstract.mentions:
            mentions[m.label] = mentions.get(m.label, 0) + 1
        doc = set_sentences(nlp, nlp.make_doc(full), len(abstract.title))
        doc.set_ents(choose_entities(path, doc, abstract, summary, label_map or {}))
        docs.append(doc)
        if progress is not None:
            progress(abstract.line)
    summary.mentions = dict(sorted(mentions.items()))
    return docs, summary.count_docs(docs)
