"""One entry point for all formats: read, build Docs, write `.spacy` file(s)."""
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

from spacy.tokens import Doc
from spacy.vocab import Vocab

from ..errors import Errors
from ..tokenizer import BIOMEDICAL_TOKENIZER
from .columns import conll_to_docs, tsv_to_docs
from .csv_gmb import csv_to_docs
from .inputs import LineProgress
from .iob import type_problem
from .outputs import check_outputs, check_split_name, write_docbins
from .pubtator import pubtator_to_docs
from .report import PathLike, Summary
from .split import SplitSpec, parse_split, split_names as default_split_names

FORMATS = ("csv", "conll", "tsv", "pubtator")


def parse_label_map(spec: Optional[str]) -> Dict[str, str]:
    """'geo=GEO,per=PER' -> {'geo': 'GEO', 'per': 'PER'}. Both sides must be
    valid entity types (not 'O', no whitespace, ...: iob.type_problem), and a
    source type is mapped once (never a silent last-wins)."""
    if not spec:
        return {}
    mapping: Dict[str, str] = {}
    for item in spec.split(","):
        old, sep, new = item.partition("=")
        old, new = old.strip(" "), new.strip(" ")
        if not sep or not old or not new:
            raise ValueError(Errors.E403.format(item=item))
        if old in mapping:
            raise ValueError(Errors.E471.format(old=old, first=mapping[old], second=new))
        check_label_map_item(item, old, new)
        mapping[old] = new
    return mapping


def check_label_map_item(item: str, old: str, new: str) -> None:
    for side, name in (("the source type", old), ("the new type", new)):
        problem = type_problem(name)
        if problem:
            raise ValueError(Errors.E470.format(item=item, side=side, name=name, problem=problem))


def check_label_map(label_map: Optional[Dict[str, str]]) -> None:
    """The checks of parse_label_map, for a mapping given to convert_file."""
    for old, new in (label_map or {}).items():
        check_label_map_item(f"{old}={new}", old, new)


def convert_file(
    input_path: PathLike,
    output_path: PathLike,
    *,
    format: str,
    n_sents: int = 10,
    scheme: str = "auto",
    label_map: Optional[Dict[str, str]] = None,
    encoding: Optional[str] = None,
    split: Optional[str] = None,
    split_names: Optional[Sequence[str]] = None,
    tokenizer: Optional[str] = None,
    progress: bool = False,
) -> Summary:
    """Convert `input_path` to a DocBin at `output_path` and return the report.

    With `split` (csv only), `output_path` is a directory that receives one
    `<name>.spacy` per part. `tokenizer` (PubTator only) is a registered
    tokenizer name, by default the biomedical one. `encoding` None (or
    'auto'): UTF-8 where the bytes are valid UTF-8, else cp1252. Raises ConversionError on bad input or an unusable output
    location, before any output file exists.
    """
    if format not in FORMATS:
        raise ValueError(Errors.E414.format(format=format, choices=", ".join(FORMATS)))
    if split is not None and format != "csv":
        raise ValueError(Errors.E415.format())
    if tokenizer is not None and format != "pubtator":
        raise ValueError(Errors.E416.format())
    check_label_map(label_map)
    input_path, output_path = Path(input_path), Path(output_path)
    spec: Optional[SplitSpec] = parse_split(split) if split is not None else None
    if spec is None:
        check_outputs(input_path, [output_path], output_dir=False)
    else:
        names = default_split_names(len(spec), split_names)
        for name in names:
            check_split_name(name)
        check_outputs(input_path, [output_path / f"{name}.spacy" for name in names], output_dir=True)
    tick: Optional[Callable[[int], None]] = (
        LineProgress(input_path.name) if progress else None
    )
    vocab = Vocab()
    common = dict(label_map=label_map, encoding=encoding, progress=tick)
    outputs: Dict[Path, List[Doc]]
    if format == "csv":
        parts, summary = csv_to_docs(
            input_path, vocab=vocab, scheme=scheme, n_sents=n_sents, split=spec,
            names=split_names, **common,
        )
        if spec is None:
            outputs = {output_path: parts[""]}
        else:
            outputs = {output_path / f"{name}.spacy": docs for name, docs in parts.items()}
            for name, part in summary.parts.items():
                part.output = str(output_path / f"{name}.spacy")
    elif format == "pubtator":
        docs, summary = pubtator_to_docs(input_path, tokenizer=tokenizer or BIOMEDICAL_TOKENIZER, **common)
        outputs = {output_path: docs}
    else:
        reader = conll_to_docs if format == "conll" else tsv_to_docs
        docs, summary = reader(input_path, vocab=vocab, scheme=scheme, n_sents=n_sents, **common)
        outputs = {output_path: docs}
    warn_unused_label_map(label_map, summary)
    write_docbins(outputs)
    summary.output = str(output_path)
    return summary


def warn_unused_label_map(label_map: Optional[Dict[str, str]], summary: Summary) -> None:
    for old in sorted(set(label_map or {}) - summary.source_labels):
        known = ", ".join(sorted(summary.source_labels)) or "none"
        summary.warnings.append(
            f"--label-map key {old!r} matches no entity type of the input (types read: {known})"
        )
