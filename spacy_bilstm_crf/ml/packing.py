"""The packed layout of a batch of variable-length sequences.

Sequences arrive concatenated (the rows of sentence 0, then sentence 1, ...).
Recurrences (the LSTM, Viterbi, forward-backward) want them time-major with
only the sequences still running at each step: torch's PackedSequence layout.
Working in that layout means one long sentence in a batch of short ones costs
its own length, not the batch size times its length (in CoNLL-2003 dev the
sentencizer's longest "sentence" has 658 tokens, the median 20).
"""
from typing import List, NamedTuple, Tuple, TypeVar

import numpy

Lengths = TypeVar("Lengths")


class Packing(NamedTuple):
    """How concatenated rows map to the packed, time-major layout (numpy).

    order: (B,) sequence ids sorted by decreasing length (stable); index: (N,)
    for each packed row, its row in the concatenation; steps: per time step t,
    the slice of packed rows [steps[t], steps[t + 1]) which holds the first
    batch_sizes[t] sequences of `order`; offsets: (B,) first concatenated row
    of each sequence.
    """

    lengths: numpy.ndarray
    order: numpy.ndarray
    index: numpy.ndarray
    batch_sizes: numpy.ndarray
    steps: List[int]
    offsets: numpy.ndarray

    def pack(self, rows: numpy.ndarray) -> numpy.ndarray:
        """Rows in concatenated order -> rows in packed order (a copy)."""
        return rows[self.index]

    def unpack(self, packed: numpy.ndarray) -> numpy.ndarray:
        """Rows in packed order -> rows in concatenated order."""
        out = numpy.empty_like(packed)
        out[self.index] = packed
        return out

    def unsort(self, per_sorted: numpy.ndarray) -> numpy.ndarray:
        """One value per sequence in `order` -> one per sequence as given."""
        out = numpy.empty_like(per_sorted)
        out[self.order] = per_sorted
        return out

    def last_rows(self) -> numpy.ndarray:
        """(B,) packed row of each sorted sequence's last position."""
        sorted_lengths = self.lengths[self.order]
        return numpy.asarray(self.steps[:-1], dtype="int64")[sorted_lengths - 1] + numpy.arange(len(sorted_lengths))

    def previous_rows(self) -> Tuple[numpy.ndarray, numpy.ndarray]:
        """Every packed row q after its sequence's first, and the row r before it."""
        sizes = self.batch_sizes
        q = numpy.arange(int(sizes[0]), self.steps[-1])
        return q - numpy.repeat(sizes[:-1], sizes[1:]), q


def start_offsets(lengths: Lengths) -> Lengths:
    """(B,) first row of each sequence in their concatenation (numpy or torch)."""
    return lengths.cumsum(0) - lengths  # type: ignore[attr-defined]


def pack_layout(lengths: numpy.ndarray) -> Packing:
    """Layout for sequences of these lengths (each >= 1), in this order."""
    lengths = numpy.asarray(lengths, dtype="int64")
    order = numpy.argsort(-lengths, kind="stable")
    sorted_lengths = lengths[order]
    offsets = start_offsets(lengths)
    on = numpy.arange(int(sorted_lengths[0]))[:, None] < sorted_lengths[None, :]  # (T, B)
    time, rank = on.nonzero()  # row-major: time-major packed order
    batch_sizes = on.sum(axis=1)
    steps = [0] + numpy.cumsum(batch_sizes).tolist()
    return Packing(lengths, order, offsets[order][rank] + time, batch_sizes, steps, offsets)
