"""The packed layout of a batch of variable-length sequences.

Sequences arrive concatenated (the rows of sentence 0, then sentence 1, ...).
Recurrences (the LSTM, Viterbi, forward-backward) want them time-major with
only the sequences still running at each step: torch's PackedSequence layout.
Working in that layout means one long sentence in a batch of short ones costs
its own length, not the batch size times its length (in CoNLL-2003 dev the
sentencizer's longest "sentence" has 658 tokens, the median 20).
"""
from typing import List, NamedTuple

import torch


class Packing(NamedTuple):
    """How concatenated rows map to the packed, time-major layout.

    order: (B,) sequence ids sorted by decreasing length (stable); index: (N,)
    for each packed row, its row in the concatenation; steps: per time step t,
    the slice of packed rows [steps[t], steps[t + 1]) which holds the first
    batch_sizes[t] sequences of `order`; offsets: (B,) first concatenated row
    of each sequence.
    """

    lengths: torch.Tensor
    order: torch.Tensor
    index: torch.Tensor
    batch_sizes: torch.Tensor
    steps: List[int]
    offsets: torch.Tensor

    def unpack(self, packed: torch.Tensor) -> torch.Tensor:
        """Rows in packed order -> rows in concatenated order."""
        return packed.new_empty(packed.shape).index_copy(0, self.index, packed)

    def unsort(self, per_sorted: torch.Tensor) -> torch.Tensor:
        """One value per sequence in `order` -> one per sequence as given."""
        return per_sorted.new_empty(per_sorted.shape).index_copy(0, self.order, per_sorted)


def start_offsets(lengths: torch.Tensor) -> torch.Tensor:
    """(B,) first row of each sequence in their concatenation."""
    return torch.cumsum(lengths, 0) - lengths


def pack_layout(lengths: torch.Tensor) -> Packing:
    """Layout for sequences of these lengths (each >= 1), in this order."""
    order = torch.argsort(lengths, descending=True, stable=True)
    sorted_lengths = lengths[order]
    offsets = start_offsets(lengths)
    on = torch.arange(int(sorted_lengths[0]))[:, None] < sorted_lengths[None, :]  # (T, B)
    time, rank = on.nonzero(as_tuple=True)  # row-major: time-major packed order
    batch_sizes = on.sum(dim=1)
    steps = [0] + torch.cumsum(batch_sizes, 0).tolist()
    return Packing(lengths, order, offsets[order][rank] + time, batch_sizes, steps, offsets)
