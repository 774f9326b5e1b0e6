"""A (Bi)LSTM over a list of sequences that packs them by their real lengths.

thinc's `PyTorchLSTM` feeds zero-padded batches to `torch.nn.LSTM`, so the
backward direction of a short sequence reads the padding of its batch and its
outputs depend on the other documents. Packing makes every sequence's output
independent of its batch.
"""
import os
from typing import Any, Callable, List, Tuple

import torch
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors
from thinc.api import ArgsKwargs, Model, PyTorchWrapper_v3, torch2xp, xp2torch
from thinc.types import Floats2d
from torch.nn.utils.rnn import PackedSequence

from ..packing import pack_layout

# torch's intra-op thread pool does not survive a fork: a worker forked by
# `nlp.pipe(n_process=...)` would hang in its first parallel op. One thread
# per worker process is also what multi-process inference wants.
os.register_at_fork(after_in_child=lambda: torch.set_num_threads(1))


class PackedLSTMModule(torch.nn.Module):
    """`torch.nn.LSTM` on concatenated tokens: (N, nI) + lengths -> (N, nO)."""

    def __init__(self, nI: int, nH: int, depth: int, dropout: float, bidirectional: bool):
        super().__init__()
        self.nI = nI
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
        packing = pack_layout(lengths)
        # Build the PackedSequence straight from the concatenated rows: padding
        # to the longest sequence and unpadding again cost more than the LSTM
        # itself when one long sentence shares a batch with many short ones.
        output, _ = self.lstm(PackedSequence(flat.index_select(0, packing.index), packing.batch_sizes))
        out = output.data.new_empty((flat.shape[0], output.data.shape[1]))
        return out.index_copy(0, packing.index, output.data)


def serialize_state(module: torch.nn.Module) -> bytes:
    """Weights as safetensors: loading them cannot execute code."""
    return save_safetensors({k: v.contiguous() for k, v in module.state_dict().items()})


def deserialize_state(module: torch.nn.Module, data: bytes, device: Any) -> torch.nn.Module:
    module.load_state_dict(load_safetensors(data))
    module.to(device)
    return module


def PackedLSTM(
    nO: int, nI: int, *, depth: int, dropout: float, bidirectional: bool
) -> Model[List[Floats2d], List[Floats2d]]:
    """nO is the output width: twice the hidden size per direction when bidirectional."""
    n_dirs = 2 if bidirectional else 1
    if nO % n_dirs:
        raise ValueError(f"A bidirectional LSTM needs an even width, got {nO}.")
    module = PackedLSTMModule(nI, nO // n_dirs, depth, dropout, bidirectional)
    model = PyTorchWrapper_v3(
        module,
        convert_inputs=_convert_inputs,
        convert_outputs=_convert_outputs,
        serialize_model=serialize_state,
        deserialize_model=deserialize_state,
    )
    model.name = "packed_bilstm" if bidirectional else "packed_lstm"
    model.set_dim("nO", nO)
    model.set_dim("nI", nI)
    return model


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
