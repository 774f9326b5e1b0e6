"""A (Bi)LSTM over a list of sequences, exact for each sequence whatever its batch.

thinc's `PyTorchLSTM` feeds zero-padded batches to `torch.nn.LSTM`, so the
backward direction of a short sequence reads the padding of its batch and its
outputs depend on the other documents. torch's packed sequences fix that, but
on CPU their backward pass zero-fills a gradient of all the batch's input
projections at every time step: training cost grows with the longest
sentence times the batch size (1.4 s of backward for a 7k-token CoNLL batch).

So each direction of each layer runs as a unidirectional `torch.lstm` over
groups of similar-length sequences, right-padded within the group: padding
after a sequence's end never reaches its real positions in the forward
direction, and the reverse direction runs on each sequence flipped within its
own length. The weights are `torch.nn.LSTM`'s own, so the state dict, and a
saved model, are those of a standard (bi)LSTM.
"""
import os
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy
import torch
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors
from thinc.api import ArgsKwargs, Model, PyTorchWrapper_v3, torch2xp, xp2torch
from thinc.types import Floats2d

from ...errors import Errors
from ..packing import start_offsets

# torch's intra-op thread pool does not survive a fork: a worker forked by
# `nlp.pipe(n_process=...)` would hang in its first parallel op. One thread
# per worker process is also what multi-process inference wants.
os.register_at_fork(after_in_child=lambda: torch.set_num_threads(1))

# On the CPU torch.lstm runs oneDNN primitives, and oneDNN keeps a compiled
# primitive for each distinct (steps, sequences) shape it has run, ~0.2 MiB
# each, up to 1,024 by default. Training hardly repeats a shape, so that cache
# only grew: +200 MiB over a CoNLL run, the largest part of our training
# memory above spaCy's `ner`, and the reason its peak grew with the steps.
# Off (0) by default: the same model and update time, a flat peak; inference,
# which repeats shapes more, runs ~15% more words/s with 256. oneDNN reads the
# variable once, at its first primitive, so it is set here, before any LSTM
# runs; a value the user set wins.
ONEDNN_CACHE_CAPACITY = 0
os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", str(ONEDNN_CACHE_CAPACITY))

# The cost of one time step of a padded group, whatever its size, in units of
# the cost of one padded cell (one sequence at one step): it decides how the
# sequences are grouped (see `group_sizes`). Only speed depends on it (outputs
# are exact for any grouping). Measured with torch.lstm on one thread (128
# units, forward + backward): ~13 us per padded cell and ~20 us more per step.
STEP_COST = 1.5


class PackedLSTMModule(torch.nn.Module):
    """`torch.nn.LSTM` on concatenated tokens: (N, nI) + lengths -> (N, nO)."""

    def __init__(self, nI: int, nH: int, depth: int, dropout: float, bidirectional: bool):
        super().__init__()
        self.nI = nI
        self.settings = {"nH": nH, "depth": depth, "dropout": dropout, "bidirectional": bidirectional}
        self.lstm = torch.nn.LSTM(
            nI,
            nH,
            num_layers=depth,
            dropout=dropout if depth > 1 else 0.0,
            bidirectional=bidirectional,
            batch_first=True,
        )

    def forward(self, flat: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        if lengths.numel() == 0:
            return flat.new_zeros((0, self.lstm.hidden_size * (2 if self.lstm.bidirectional else 1)))
        groups = _padded_groups(lengths.cpu(), STEP_COST)  # index arithmetic: cheap on the CPU
        if flat.device.type != "cpu":  # on a GPU the indices must live beside the rows they pick
            groups = [{key: value.to(flat.device) for key, value in group.items()} for group in groups]
        directions = ["", "_reverse"] if self.lstm.bidirectional else [""]
        for layer in range(self.lstm.num_layers):
            if layer > 0:
                flat = torch.nn.functional.dropout(flat, self.lstm.dropout, self.training)
            flat = torch.cat(
                [self._run(flat, groups, f"l{layer}{suffix}", reverse=bool(suffix)) for suffix in directions],
                dim=1,
            )
        return flat

    def _run(self, flat: torch.Tensor, groups: List[Dict[str, torch.Tensor]], name: str, reverse: bool) -> torch.Tensor:
        """One direction of one layer over all groups: (N, in) -> (N, nH)."""
        weights = [getattr(self.lstm, f"{kind}_{name}") for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
        hidden = self.lstm.hidden_size
        pieces, targets = [], []
        for group in groups:
            index = group["reverse" if reverse else "forward"]  # (T, b) rows of `flat`
            steps, size = index.shape
            x = flat.index_select(0, index.reshape(-1)).reshape(steps, size, flat.shape[1])
            zeros = x.new_zeros((1, size, hidden))
            y, _, _ = torch.lstm(x, (zeros, zeros), weights, True, 1, 0.0, self.training, False, False)
            pieces.append(y.reshape(steps * size, hidden).index_select(0, group["real"]))
            targets.append(group["target_reverse" if reverse else "target"])
        out = flat.new_empty((flat.shape[0], hidden))
        return out.index_copy(0, torch.cat(targets), torch.cat(pieces))


def group_sizes(sorted_lengths: numpy.ndarray, step_cost: float) -> List[int]:
    """Split sequences sorted by decreasing length into consecutive groups
    that minimise the total cost of running them right-padded: a group costs
    its longest length times (`step_cost` + its number of sequences).

    One group per batch pads every sentence to the longest one: a CoNLL batch
    of 1,000 words holds ~50 sentences and often one results table of 150-400
    tokens, so most of its padded cells were padding. Exact dynamic
    programming; a group boundary never falls inside a run of equal lengths
    (moving it to the run's start never costs more), so it runs over the
    distinct lengths only.
    """
    n = len(sorted_lengths)
    if n == 0:
        return []
    starts = numpy.flatnonzero(numpy.r_[True, sorted_lengths[1:] != sorted_lengths[:-1]])
    bounds = numpy.r_[starts, n]  # candidate group boundaries
    steps = sorted_lengths[starts].astype(numpy.float64)  # a group starting at bounds[m] runs steps[m]
    best = numpy.zeros(len(bounds))
    choice = numpy.zeros(len(bounds), dtype=numpy.int64)
    for k in range(1, len(bounds)):
        # The last group covers bounds[m]..bounds[k], for each m < k.
        costs = best[:k] + steps[:k] * (step_cost + (bounds[k] - bounds[:k]))
        choice[k] = int(costs.argmin())
        best[k] = costs[choice[k]]
    sizes = []
    k = len(bounds) - 1
    while k > 0:
        sizes.append(int(bounds[k] - bounds[choice[k]]))
        k = int(choice[k])
    return sizes[::-1]


def _padded_groups(lengths: torch.Tensor, step_cost: float) -> List[Dict[str, torch.Tensor]]:
    """Split sequences, sorted by length, into groups (`group_sizes`), and for
    each the (T, b) row indices of its right-padded time-major batch, forward
    and with every sequence flipped within its length; `real`: the padded
    slots that hold real tokens; `target(_reverse)`: the row each came from."""
    offsets = start_offsets(lengths)
    order = torch.argsort(lengths, descending=True, stable=True)
    groups = []
    for members in order.split(group_sizes(lengths[order].numpy(), step_cost)):
        n, first = lengths[members], offsets[members]
        time = torch.arange(int(n[0]))[:, None]  # (T, 1)
        on = time < n[None, :]  # (T, b)
        # Padding slots read the sequence's own first row: never seen by a real position.
        forward = torch.where(on, first[None, :] + time, first[None, :])
        reverse = torch.where(on, first[None, :] + n[None, :] - 1 - time, first[None, :])
        real = on.reshape(-1).nonzero().squeeze(1)
        groups.append({
            "forward": forward, "reverse": reverse, "real": real,
            "target": forward.reshape(-1)[real], "target_reverse": reverse.reshape(-1)[real],
        })
    return groups


def serialize_state(module: torch.nn.Module) -> bytes:
    """Weights as safetensors: loading them cannot execute code."""
    return save_safetensors({k: v.contiguous() for k, v in module.state_dict().items()})


def deserialize_state(module: torch.nn.Module, data: bytes, device: Any) -> torch.nn.Module:
    module.load_state_dict(load_safetensors(data))
    module.to(device)
    return module


def PackedLSTM(
    nO: int, nI: Optional[int], *, depth: int, dropout: float, bidirectional: bool
) -> Model[List[Floats2d], List[Floats2d]]:
    """nO is the output width: twice the hidden size per direction when bidirectional.

    nI None: the input width is inferred at initialize from the data, as a
    thinc `Linear` infers its own (e.g. a BiLSTM reading a tok2vec directly).
    The torch module is built then; until then it holds a stand-in of input
    width 1. A saved model is rebuilt from the config with that stand-in, so
    its weights carry the width: the module is rebuilt from them on load."""
    n_dirs = 2 if bidirectional else 1
    if nO % n_dirs:
        raise ValueError(Errors.E401.format(nO=nO))
    module = PackedLSTMModule(nI or 1, nO // n_dirs, depth, dropout, bidirectional)
    model = PyTorchWrapper_v3(
        module,
        convert_inputs=_convert_inputs,
        convert_outputs=_convert_outputs,
        serialize_model=serialize_state,
        deserialize_model=deserialize_state if nI else _deserialize_inferred_width,
    )
    model.name = "packed_bilstm" if bidirectional else "packed_lstm"
    model.set_dim("nO", nO)
    if nI:
        model.set_dim("nI", nI)
    else:
        model.init = _infer_input_width
    return model


def _resized(module: PackedLSTMModule, nI: int) -> PackedLSTMModule:
    """`module` itself if it reads `nI` features, else a new one that does (fresh weights)."""
    if module.nI == nI:
        return module
    device = next(module.parameters()).device
    return PackedLSTMModule(nI, **module.settings).to(device)


def _infer_input_width(model: Model, X: Optional[List[Floats2d]] = None, Y: Optional[Any] = None) -> None:
    if X:
        model.set_dim("nI", X[0].shape[1])
    shim = model.shims[0]
    shim._model = _resized(shim._model, model.get_dim("nI"))


def _deserialize_inferred_width(module: PackedLSTMModule, data: bytes, device: Any) -> PackedLSTMModule:
    nI = load_safetensors(data)["lstm.weight_ih_l0"].shape[1]
    return deserialize_state(_resized(module, nI), data, device)


def _convert_inputs(
    model: Model, Xs: List[Floats2d], is_train: bool
) -> Tuple[ArgsKwargs, Callable[[ArgsKwargs], List[Floats2d]]]:
    lengths = [len(x) for x in Xs]
    flat = model.ops.flatten(Xs, pad=0) if Xs else model.ops.alloc2f(0, model.get_dim("nI"))
    nonempty = torch.tensor([n for n in lengths if n > 0], dtype=torch.int64)
    flat_t = xp2torch(model.ops.asarray2f(flat), requires_grad=is_train)

    def convert_dX(dX: ArgsKwargs) -> List[Floats2d]:
        return model.ops.unflatten(torch2xp(dX.args[0]), model.ops.asarray1i(lengths))

    return ArgsKwargs(args=(flat_t, nonempty), kwargs={}), convert_dX


def _convert_outputs(
    model: Model, inputs_outputs: Tuple[List[Floats2d], torch.Tensor], is_train: bool
) -> Tuple[List[Floats2d], Callable[[List[Floats2d]], ArgsKwargs]]:
    Xs, Y_t = inputs_outputs
    lengths = model.ops.asarray1i([len(x) for x in Xs])
    Ys = model.ops.unflatten(torch2xp(Y_t), lengths)

    def convert_dY(dYs: List[Floats2d]) -> ArgsKwargs:
        dY = model.ops.flatten(dYs, pad=0) if dYs else model.ops.alloc2f(0, model.get_dim("nO"))
        return ArgsKwargs(args=(Y_t,), kwargs={"grad_tensors": (xp2torch(dY),)})

    return Ys, convert_dY
