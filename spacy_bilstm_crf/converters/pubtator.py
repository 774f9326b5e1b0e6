"""BioCreative V CDR PubTator files to Docs, losslessly.

Each abstract becomes one Doc of `title + " " + abstract` (the text the
mention offsets index). The text is tokenized by a registered tokenizer (by
default the biomedical one), then every token that a mention starts or ends
inside is split there, so each mention is exactly a run of whole tokens: none
is widened or lost. All mentions go to the span group `doc.spans["mentions"]`;
`doc.ents` holds a non-overlapping subset (for overlapping source mentions the
longest, then the earliest, then the first listed), and the mentions left out
of it are reported. The title is its own sentence; the abstract is split by
spaCy's rule-based `sentencizer`, never inside a mention.
"""
import bisect
from pathlib import Path
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span, SpanGroup

from ..tokenizer import BIOMEDICAL_TOKENIZER
from .inputs import is_blank_line, read_input
from .iob import type_problem
from .report import ConversionError, MentionNote, PathLike, Summary, add_oddity

NO_FINAL_NEWLINE = "missing final newline"
CRLF = "CRLF line endings"
SENT_BREAK_IN_MENTION = "sentencizer breaks inside a mention (removed)"
MENTIONS_KEY = "mentions"


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


def is_offset(field: str) -> bool:
    """ASCII digits only: `3²`, `٣` or `-3` are not offsets (int() would take some)."""
    return field.isascii() and field.isdigit()


def parse_mention(path: Path, i: int, fields: Sequence[str]) -> Mention:
    start, end, text, label = fields[1], fields[2], fields[3], fields[4]
    for name, value in (("start", start), ("end", end)):
        if not is_offset(value):
            raise ConversionError(
                path, i, f"expected the mention's {name} offset as a non-negative integer, got {value!r}"
            )
    problem = type_problem(label)
    if problem:
        raise ConversionError(path, i, f"bad mention type {label!r}: {problem}")
    return Mention(int(start), int(end), text, label, i)


def read_pubtator(path: Path, text: str, summary: Summary) -> List[Abstract]:
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    else:
        add_oddity(summary.oddities, NO_FINAL_NEWLINE)
    abstracts: List[Abstract] = []
    seen: Dict[str, int] = {}
    pmid: Optional[str] = None
    title = ""
    body: Optional[str] = None
    mentions: List[Mention] = []
    first = 0

    def finish() -> None:
        if pmid is None:
            return
        if body is None:
            raise ConversionError(path, first, f"title of PMID {pmid} without a '{pmid}|a|' abstract line")
        abstracts.append(Abstract(pmid, title, body, mentions, first))

    for i, line in enumerate(lines, 1):
        if line.endswith("\r"):
            add_oddity(summary.oddities, CRLF)
            line = line[:-1]
        if is_blank_line(line):
            continue
        head = line.split("|", 2)
        if len(head) == 3 and head[1] in ("t", "a") and "\t" not in head[0]:
            if not head[0] or head[0] != head[0].strip() or any(c.isspace() for c in head[0]):
                raise ConversionError(path, i, f"expected a PMID without spaces before '|{head[1]}|', got {head[0]!r}")
            if head[1] == "t":
                finish()
                if head[0] in seen:
                    raise ConversionError(path, i, f"PMID {head[0]} is already used on line {seen[head[0]]}")
                seen[head[0]] = i
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
        if len(fields) >= 5:
            mentions.append(parse_mention(path, i, fields))
        elif len(fields) == 4 and not is_offset(fields[1]):
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
        if not m.start < m.end:
            raise ConversionError(
                path, m.line, f"offsets [{m.start}, {m.end}) of PMID {abstract.pmid} are empty or reversed"
            )
        if m.end > len(text):
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
        if m.text != m.text.strip():
            raise ConversionError(
                path, m.line, f"mention {m.text!r} starts or ends with whitespace (or is only whitespace)"
            )


def split_at_mentions(nlp: Language, text: str, mentions: Sequence[Mention]) -> Tuple[Doc, int]:
    """The tokenizer's Doc, with every token that a mention starts or ends
    inside split there. Returns the Doc and how many tokens were split."""
    doc = nlp.make_doc(text)
    cuts = sorted({m.start for m in mentions} | {m.end for m in mentions})
    words: List[str] = []
    spaces: List[bool] = []
    n_split = 0
    for token in doc:
        start, end = token.idx, token.idx + len(token)
        inner = cuts[bisect.bisect_right(cuts, start) : bisect.bisect_left(cuts, end)]
        if inner:
            n_split += 1
        bounds = [start, *inner, end]
        for a, b in zip(bounds, bounds[1:]):
            words.append(text[a:b])
            spaces.append(False)
        spaces[-1] = bool(token.whitespace_)
    out = Doc(nlp.vocab, words=words, spaces=spaces)
    assert out.text == text, "splitting tokens changed the text"
    return out, n_split


def set_sentences(nlp: Language, doc: Doc, title_len: int, mentions: Sequence[Span]) -> int:
    """Title: one sentence; abstract: the sentencizer's sentences, with no
    break inside a mention. Returns how many breaks were removed."""
    nlp.get_pipe("sentencizer")(doc)
    for token in doc:
        if token.idx < title_len:
            token.is_sent_start = token.i == 0
        else:
            token.is_sent_start = True  # first abstract token
            break
    inside = {i for span in mentions for i in range(span.start + 1, span.end)}
    n_removed = 0
    for i in sorted(inside):
        if doc[i].is_sent_start:
            doc[i].is_sent_start = False
            n_removed += 1
    return n_removed


def mention_spans(
    path: Path, doc: Doc, abstract: Abstract, label_map: Dict[str, str]
) -> List[Span]:
    spans = []
    for m in abstract.mentions:
        span = doc.char_span(m.start, m.end, label=label_map.get(m.label, m.label))
        if span is None:  # cannot happen after split_at_mentions
            raise ConversionError(path, m.line, f"mention {m.text!r} is not on token boundaries")
        spans.append(span)
    return spans


def choose_entities(abstract: Abstract, spans: Sequence[Span], summary: Summary) -> List[Span]:
    """A non-overlapping subset for doc.ents: the longest first (then the
    earliest, then the first listed); the others are noted."""
    order = sorted(range(len(spans)), key=lambda k: (-len(spans[k].text), spans[k].start_char, k))
    taken: Dict[int, int] = {}
    kept: List[Span] = []
    for k in order:
        span, m = spans[k], abstract.mentions[k]
        clash = next((taken[t] for t in range(span.start, span.end) if t in taken), None)
        if clash is not None:
            om = abstract.mentions[clash]
            summary.span_group_only.append(
                MentionNote(abstract.pmid, m.start, m.end, m.text, span.label_, m.line,
                            f"overlaps [{om.start}, {om.end}) {spans[clash].label_} {om.text!r}")
            )
            continue
        for t in range(span.start, span.end):
            taken[t] = k
        kept.append(span)
    return sorted(kept, key=lambda s: s.start)


def pubtator_to_docs(
    path: PathLike,
    *,
    nlp: Optional[Language] = None,
    tokenizer: str = BIOMEDICAL_TOKENIZER,
    label_map: Optional[Dict[str, str]] = None,
    encoding: Optional[str] = None,
    spans_key: str = MENTIONS_KEY,
    progress: Optional[Callable[[int], None]] = None,
) -> Tuple[List[Doc], Summary]:
    """Docs with every mention in doc.spans[spans_key] and a non-overlapping
    subset in doc.ents. `tokenizer` is a registered name, used unless `nlp`
    (whose tokenizer is then used) is given."""
    path = Path(path)
    summary = Summary(input=str(path), format="pubtator", scheme=None)
    text = read_input(path, encoding, summary)
    abstracts = read_pubtator(path, text, summary)
    if nlp is None:
        nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": tokenizer}}})
    else:
        tokenizer = "the given pipeline's tokenizer"
    if "sentencizer" not in nlp.pipe_names:
        nlp.add_pipe("sentencizer")
    label_map = label_map or {}
    mentions: Dict[str, int] = {}
    docs = []
    n_split = n_breaks = 0
    for abstract in abstracts:
        full = f"{abstract.title} {abstract.abstract}"
        check_mentions(path, abstract, full)
        for m in abstract.mentions:
            mentions[m.label] = mentions.get(m.label, 0) + 1
        doc, n = split_at_mentions(nlp, full, abstract.mentions)
        n_split += n
        spans = mention_spans(path, doc, abstract, label_map)
        doc.spans[spans_key] = SpanGroup(doc, name=spans_key, spans=spans)
        n_breaks += set_sentences(nlp, doc, len(abstract.title), spans)
        doc.set_ents(choose_entities(abstract, spans, summary))
        docs.append(doc)
        if progress is not None:
            progress(abstract.line)
    add_oddity(summary.oddities, SENT_BREAK_IN_MENTION, n_breaks)
    summary.notes.append(
        f"tokenized by {tokenizer}, then {n_split:,} tokens split at mention boundaries; "
        f"all mentions in doc.spans[{spans_key!r}]; sentences: the title, then the abstract "
        "split by spaCy's rule-based sentencizer"
    )
    summary.mentions = dict(sorted(mentions.items()))
    summary.source_labels = set(mentions)
    return docs, summary.count_docs(docs)
