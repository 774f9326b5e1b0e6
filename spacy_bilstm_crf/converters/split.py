"""Deterministic contiguous splits of a sentence sequence, so that one file
(e.g. the single Kaggle `ner_dataset.csv`) can serve as train/dev/test.

A spec is either ratios (`0.8,0.1,0.1`: cut points at round(cumulative ratio *
number of sentences)) or inclusive ranges of source sentence ids
(`1-38367,38368-43163`). With ratios 0.8,0.1,0.1 the full Kaggle file splits
exactly as the shared data does (sentences 1-38,367 / 38,368-43,163 /
43,164-47,959).
"""
from typing import Dict, List, Optional, Sequence, Tuple, TypeVar, Union

from ..errors import Errors

T = TypeVar("T")
DEFAULT_NAMES = ("train", "dev", "test")

SplitSpec = Union[List[float], List[Tuple[int, int]]]


def parse_split(spec: str) -> SplitSpec:
    items = [item.strip() for item in spec.split(",") if item.strip()]
    if len(items) < 2:
        raise ValueError(Errors.E405.format(spec=spec))
    if all("-" in item for item in items):
        ranges = []
        for item in items:
            lo, _, hi = item.partition("-")
            if not (lo.isdigit() and hi.isdigit()) or int(lo) > int(hi):
                raise ValueError(Errors.E406.format(item=item))
            ranges.append((int(lo), int(hi)))
        ordered = sorted(ranges)
        for (_, hi), (lo, _) in zip(ordered, ordered[1:]):
            if lo <= hi:
                raise ValueError(Errors.E407.format(spec=spec))
        return ranges
    try:
        ratios = [float(item) for item in items]
    except ValueError:
        raise ValueError(Errors.E408.format(spec=spec)) from None
    if any(r <= 0 for r in ratios) or abs(sum(ratios) - 1.0) > 1e-6:
        raise ValueError(Errors.E409.format(spec=spec))
    return ratios


def split_names(n: int, names: Optional[Sequence[str]] = None) -> List[str]:
    if names is None:
        if n > len(DEFAULT_NAMES):
            raise ValueError(Errors.E410.format(n=n))
        return list(DEFAULT_NAMES[:n])
    if len(names) != n or len(set(names)) != n:
        raise ValueError(Errors.E411.format(n=n, names=list(names)))
    return list(names)


def split_items(
    items: Sequence[T], ids: Sequence[int], spec: SplitSpec, names: Sequence[str]
) -> Tuple[Dict[str, List[T]], int]:
    """Items per part, and how many items fell in no range (ranges only)."""
    parts: Dict[str, List[T]] = {}
    if spec and isinstance(spec[0], float):
        total = 0.0
        start = 0
        for name, ratio in zip(names, spec):
            total += ratio  # type: ignore[operator]
            end = len(items) if name == names[-1] else int(round(total * len(items)))
            parts[name] = list(items[start:end])
            start = end
        return parts, 0
    assigned = 0
    for name, (lo, hi) in zip(names, spec):  # type: ignore[misc]
        parts[name] = [item for item, id_ in zip(items, ids) if lo <= id_ <= hi]
        assigned += len(parts[name])
    return parts, len(items) - assigned
