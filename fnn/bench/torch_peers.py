r"""PyTorch eager as a benchmark peer of any fnn ``Sequential`` of the benchmarks' layers: the
MLP, the digits CNN and the recurrent language models, rebuilt in ``torch.nn`` from fnn's
parameters and trained with ``torch.optim.Adam`` in a Python loop over minibatches.

``peer(model, params, data, ...)`` returns a ``fnn.bench.peers.Peer`` whose ``weights()``
gives the current parameters back in fnn's layout (a list like ``params``), so a test can
check one Adam step against fnn's. PyTorch is imported here only (the ``peers`` extra).

Conventions, mapped layer by layer so that both compute the same function:
- Dense: ``nn.Linear`` keeps W as (D_out, D_in): weight = W^T. It acts on the last axis, as
  fnn's Dense does on (N, T, D).
- Images: fnn keeps (N, H, W, C) and kernels (kh, kw, C_in, C_out); PyTorch (N, C, H, W) and
  (C_out, C_in, kh, kw): weight = W permuted (3, 2, 0, 1). Both cross-correlate; padding
  "same" of an odd kernel at stride 1 is (k - 1) / 2 on each side. ``Flatten`` of a feature
  map goes back to (N, H, W, C) first, so the next Dense sees fnn's order of features.
- Simple RNN: ``nn.RNN`` computes tanh(x W_ih^T + b_ih + h W_hh^T + b_hh): W_ih = U^T,
  W_hh = W^T, b_ih = b, and b_hh = 0, frozen (a second, trainable copy of b would double
  its step).
- GRU: ``nn.GRU`` has fnn's gates and candidate (``fnn.layers.gated``): W_ih = U^T,
  W_hh = W^T, b_ih = b, b_hh = (0, 0, c); the gradient of b_hh's r and z thirds is zeroed
  (they would duplicate b's), so only c moves there.
- Embedding: ``nn.Embedding`` weight = E; ids become int64.
- Loss: the mean of -log softmax(logits)_y over every sample (and step): ``F.cross_entropy``
  of the logits flattened to (N T, K).
- Adam (lr, b1 0.9, b2 0.999, eps 1e-8) is Algorithm 1 in both; the minibatches come from
  ``torch.randperm`` (fnn draws its own permutation: equal steps, other samples).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import torch

from fnn import layers
from fnn.bench.peers import Peer


class Converted(NamedTuple):
    """One fnn layer in PyTorch: the module, and its current parameters in fnn's layout."""

    module: torch.nn.Module
    params: Callable[[], Any]


def _tensor(array) -> torch.Tensor:
    return torch.tensor(np.asarray(array, np.float32))


def _numpy(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().numpy().copy()


class _Lambda(torch.nn.Module):
    """A function without parameters as a module."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


class _Ids(torch.nn.Module):
    """An embedding of ids given as floats (fnn's data sets keep them float32)."""

    def __init__(self, embedding):
        super().__init__()
        self.embedding = embedding

    def forward(self, ids):
        return self.embedding(ids.long())


class _Outputs(torch.nn.Module):
    """A recurrent module's outputs at every step (``nn.RNN`` returns (outputs, last state))."""

    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn

    def forward(self, x):
        return self.rnn(x)[0]


def _dense(layer, p) -> Converted:
    linear = torch.nn.Linear(*p.W.shape)
    with torch.no_grad():
        linear.weight.copy_(_tensor(p.W).T)
        linear.bias.copy_(_tensor(p.b))
    return Converted(linear, lambda: type(p)(_numpy(linear.weight).T, _numpy(linear.bias)))


def _conv(layer, p) -> Converted:
    kernel = p.W.shape[:-2]
    ones = all(set(np.atleast_1d(setting)) == {1} for setting in (layer.stride, layer.dilation))
    if len(kernel) != 2 or not ones or layer.padding not in ("same", "valid") or \
            (layer.padding == "same" and any(k % 2 == 0 for k in kernel)):
        raise ValueError(f"torch_peers: expected a 2-D Conv at stride 1 with 'valid' or odd-kernel 'same' padding, got "
                         f"{layer}")
    padding = tuple((k - 1) // 2 for k in kernel) if layer.padding == "same" else 0
    conv = torch.nn.Conv2d(p.W.shape[2], p.W.shape[3], kernel, padding=padding)
    with torch.no_grad():
        conv.weight.copy_(_tensor(p.W).permute(3, 2, 0, 1))
        conv.bias.copy_(_tensor(p.b))
    return Converted(conv, lambda: type(p)(_numpy(conv.weight.permute(2, 3, 1, 0)), _numpy(conv.bias)))


def _max_pool(layer, p) -> Converted:
    if layer.stride not in (None, layer.window) or layer.padding != "valid":
        raise ValueError(f"torch_peers: expected a MaxPool of non-overlapping windows without padding, got {layer}")
    return Converted(torch.nn.MaxPool2d(layer.window), lambda: p)


def _recurrent(layer, p) -> Converted:
    if not layer.sequences or getattr(layer, "truncate", None) is not None:
        raise ValueError(f"torch_peers: expected a recurrent layer returning every state, untruncated, got {layer}")
    gru = isinstance(layer, layers.GRU)
    rnn = (torch.nn.GRU if gru else torch.nn.RNN)(p.U.shape[0], p.W.shape[0], batch_first=True)
    hidden = p.W.shape[0]
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(_tensor(p.U).T)
        rnn.weight_hh_l0.copy_(_tensor(p.W).T)
        rnn.bias_ih_l0.copy_(_tensor(p.b))
        rnn.bias_hh_l0.zero_()
        if gru:
            rnn.bias_hh_l0[2 * hidden:] = _tensor(p.c)
    if gru:
        candidate_only = torch.cat([torch.zeros(2 * hidden), torch.ones(hidden)])
        rnn.bias_hh_l0.register_hook(lambda grad: grad * candidate_only)
    else:
        rnn.bias_hh_l0.requires_grad_(False)

    def params():
        common = (_numpy(rnn.weight_ih_l0).T, _numpy(rnn.weight_hh_l0).T, _numpy(rnn.bias_ih_l0))
        return type(p)(*common, _numpy(rnn.bias_hh_l0[2 * hidden:])) if gru else type(p)(*common)

    return Converted(_Outputs(rnn), params)


def _embedding(layer, p) -> Converted:
    embedding = torch.nn.Embedding(*p.E.shape)
    with torch.no_grad():
        embedding.weight.copy_(_tensor(p.E))
    return Converted(_Ids(embedding), lambda: type(p)(_numpy(embedding.weight)))


def _activation(layer, p) -> Converted:
    modules = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh}
    if layer.name not in modules:
        raise ValueError(f"torch_peers: expected a relu or tanh Activation, got {layer.name!r}")
    return Converted(modules[layer.name](), lambda: p)


def _reshape(layer, p) -> Converted:
    shape = tuple(layer.shape)
    if len(shape) != 3:
        raise ValueError(f"torch_peers: expected a Reshape to an image (H, W, C), got {shape}")
    return Converted(_Lambda(lambda x: x.reshape(x.shape[0], *shape).permute(0, 3, 1, 2)), lambda: p)


def _flatten(layer, p) -> Converted:
    """fnn flattens a feature map in (H, W, C) order: back to channels last first."""
    return Converted(_Lambda(lambda x: (x.permute(0, 2, 3, 1) if x.ndim == 4 else x).flatten(1)), lambda: p)


CONVERTERS = {layers.Dense: _dense, layers.Conv: _conv, layers.MaxPool: _max_pool, layers.SimpleRNN: _recurrent,
              layers.GRU: _recurrent, layers.Embedding: _embedding, layers.Activation: _activation,
              layers.Reshape: _reshape, layers.Flatten: _flatten}
"""fnn layer type -> ``(layer, params) -> Converted``: the layers the benchmarks' models use."""


def convert(model, params) -> list[Converted]:
    """Each layer of the fnn ``Sequential`` ``model`` with ``params`` as a PyTorch module.

    Raises:
        ValueError: a layer (or a setting of it) this module does not convert, named.
    """
    converted = []
    for layer, p in zip(model.layers, params):
        if type(layer) not in CONVERTERS:
            raise ValueError(f"torch_peers: expected layers among {', '.join(t.__name__ for t in CONVERTERS)}, got "
                             f"{layer}")
        converted.append(CONVERTERS[type(layer)](layer, p))
    return converted


def peer(model, params, data, *, batch_size: int, learning_rate: float, seed: int) -> Peer:
    """The PyTorch eager peer of fnn's ``model`` at ``params``, training on ``data`` = (X, y), one
    epoch per ``epoch()`` call: N // B minibatches of ``torch.randperm``, each a zero_grad, a
    forward, ``F.cross_entropy``, backward and ``torch.optim.Adam`` step. Threads are the
    caller's (``torch.set_num_threads``)."""
    parts = convert(model, params)
    net = torch.nn.Sequential(*(part.module for part in parts))
    optimizer = torch.optim.Adam([w for w in net.parameters() if w.requires_grad], lr=learning_rate,
                                 betas=(0.9, 0.999), eps=1e-8)
    X, y = _tensor(data[0]), torch.tensor(np.asarray(data[1], np.int64))
    if X.shape[0] < batch_size:
        raise ValueError(f"torch_peers: expected at least batch_size={batch_size} samples, got {X.shape[0]}")
    generator = torch.Generator().manual_seed(seed)
    steps = X.shape[0] // batch_size

    def loss_of(logits, targets):
        return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))

    def epoch():
        order = torch.randperm(X.shape[0], generator=generator)[: steps * batch_size].view(steps, batch_size)
        for idx in order:
            optimizer.zero_grad(set_to_none=True)
            loss = loss_of(net(X[idx]), y[idx])
            loss.backward()
            optimizer.step()
        return loss

    def batch_loss(X_batch, y_batch):
        with torch.no_grad():
            return float(loss_of(net(_tensor(X_batch)), torch.tensor(np.asarray(y_batch, np.int64))))

    return Peer(epoch, batch_loss, lambda: [part.params() for part in parts])
