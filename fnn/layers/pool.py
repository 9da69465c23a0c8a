r"""Max, average and global average pooling, 1-D and 2-D.

Layout: activations (N, W, C) or (N, H, W, C), batch on axis 0, channels last; each
channel is pooled on its own. The windows are gathered with static index arrays: pad,
then X_pad[n, y s + j, c] for every output position y and window element j, a tensor
(N, out..., K, C) with the K = prod(k) elements of a window in row-major order.

Math (per spatial axis; n input size, k window, s stride (default k), p_lo + p_hi padding):
    n_out = floor((n + p_lo + p_hi - k) / s) + 1
    max:      Y[n, y, c] = max_j X_pad[n, y s + j, c]          (padding is -inf: never chosen)
    average:  Y[n, y, c] = (1 / K) sum_j X_pad[n, y s + j, c]  (padding is 0 and counts)
    global:   Y[n, c]    = (1 / P) sum_x X[n, x, c]            (P spatial positions)
Padding as for ``Conv``: "valid", "same" (n_out = ceil(n / s)), an int, or pairs per axis;
each of p_lo, p_hi must be smaller than k, so that every window holds an input.
Average pooling divides by the full window K, padded zeros included (PyTorch's
``count_include_pad=True``, flax's ``avg_pool`` default).
Tie rule of max pooling: the FIRST maximum of a window in row-major order is its
winner (``jnp.argmax``), and the whole gradient goes to it. ``take_along_axis`` at that
index makes autodiff agree; ``jnp.max`` would split a tie's gradient evenly.

Reference: the lecture's pooling slides; Zeiler & Fergus (2014) for the "switches".
"""

from __future__ import annotations

import dataclasses
import math

import jax.numpy as jnp
import numpy as np

from fnn.layers.base import no_weights
from fnn.layers.conv import check_input, output_size, padding_pairs, tuple_of


def geometry(where: str, in_shape, window, stride, padding):
    """(window, stride, dilation, padding pairs) per spatial axis for a sample shape, all checked; the
    dilation is 1, and the tuple reads like ``Conv.geometry`` (every window layer alike)."""
    ndim = check_input(where, in_shape)
    window = tuple_of(where, "window", window, ndim)
    stride = window if stride is None else tuple_of(where, "stride", stride, ndim)
    pads = padding_pairs(where, padding, in_shape[:-1], window, stride, (1,) * ndim)
    for axis, (n, k, pad) in enumerate(zip(in_shape[:-1], window, pads)):
        if max(pad) >= k:
            raise ValueError(f"{where}: expected padding smaller than the window ({k}) on spatial axis {axis}, "
                             f"got {pad}; a window would hold only padding")
        if k > n + sum(pad):
            raise ValueError(f"{where}: expected a window no larger than the padded input on spatial axis {axis}, "
                             f"got a window of {k} over {n + sum(pad)} padded inputs")
    return window, stride, (1,) * ndim, pads


def pooled_shape(in_shape, window, stride, dilation, pads) -> tuple[int, ...]:
    """The sample shape after pooling: n_out per spatial axis, then the channels."""
    spatial = (output_size(n, k, s, d, p) for n, k, s, d, p in zip(in_shape[:-1], window, stride, dilation, pads))
    return (*spatial, in_shape[-1])


def window_indices(sizes, window, stride, pads) -> np.ndarray:
    """Static indices (out..., K) into the flattened padded positions: entry [y, j] is y s + j per axis."""
    ndim = len(sizes)
    padded = [n + lo + hi for n, (lo, hi) in zip(sizes, pads)]
    out = pooled_shape((*sizes, 1), window, stride, (1,) * ndim, pads)[:-1]
    grids = []
    for axis, (o, k, s) in enumerate(zip(out, window, stride)):
        shape = [1] * (2 * ndim)
        shape[axis], shape[ndim + axis] = o, k
        grids.append((np.arange(o)[:, None] * s + np.arange(k)).reshape(shape))
    return np.ravel_multi_index(np.broadcast_arrays(*grids), padded).reshape(*out, -1)


def gather_windows(X, index, pads, fill):
    """(N, out..., K, C): the windows of X padded with ``fill`` (``index`` from ``window_indices``)."""
    X_pad = jnp.pad(X, [(0, 0), *pads, (0, 0)], constant_values=fill) if any(map(any, pads)) else X
    return X_pad.reshape(X.shape[0], -1, X.shape[-1])[:, index]


def scatter_windows(V, index, sizes, pads):
    """The adjoint of ``gather_windows``: every window element V[n, y..., j, c] added at its input
    position, the padding cut off; (N, sizes..., C)."""
    padded = tuple(n + lo + hi for n, (lo, hi) in zip(sizes, pads))
    flat = jnp.zeros((V.shape[0], math.prod(padded), V.shape[-1]), V.dtype).at[:, index].add(V)
    crop = tuple(slice(lo, lo + n) for n, (lo, _) in zip(sizes, pads))
    return flat.reshape(V.shape[0], *padded, V.shape[-1])[(slice(None), *crop)]


def max_pool(X, *, window, stride, pads):
    """Max pooling and its switches.

    Returns:
        (Y, a): Y (N, out..., C) the window maxima; a (N, out..., C) the index j (row-major
        in the window) of each window's first maximum, where the gradient goes.
    """
    windows = gather_windows(X, window_indices(X.shape[1:-1], window, stride, pads), pads, -jnp.inf)
    a = jnp.argmax(windows, axis=-2, keepdims=True)
    return jnp.take_along_axis(windows, a, axis=-2)[..., 0, :], a[..., 0, :]


def avg_pool(X, *, window, stride, pads):
    """Y = (1 / K) sum_j X_pad[y s + j]: the window means, padded zeros counted."""
    return jnp.mean(gather_windows(X, window_indices(X.shape[1:-1], window, stride, pads), pads, 0), axis=-2)


def global_avg_pool(X):
    """Y[n, c] = mean over the spatial positions of X[n, ..., c]: (N, spatial..., C) -> (N, C)."""
    return jnp.mean(X, axis=tuple(range(1, X.ndim - 1)))


@dataclasses.dataclass(frozen=True)
class Pool:
    """What max and average pooling share: ``window`` (int or per axis), ``stride`` (None:
    the window) and ``padding`` ("valid", "same", int, pairs)."""

    window: int | tuple
    stride: int | tuple | None = None
    padding: str | int | tuple = "valid"

    deterministic = True

    def geometry(self, in_shape):
        """(window, stride, dilation 1, padding pairs) for a sample shape, all checked."""
        return geometry(type(self).__name__, in_shape, self.window, self.stride, self.padding)

    def init(self, key, in_shape, *, dtype):
        return pooled_shape(in_shape, *self.geometry(in_shape)), (), ()

    weight_mask = staticmethod(no_weights)


@dataclasses.dataclass(frozen=True)
class MaxPool(Pool):
    """Max pooling, padding -inf; the first maximum of a window wins ties (module docstring)."""

    def apply(self, params, state, X, *, train, key=None):
        window, stride, _, pads = self.geometry(X.shape[1:])
        return max_pool(X, window=window, stride=stride, pads=pads)[0], state


@dataclasses.dataclass(frozen=True)
class AvgPool(Pool):
    """Average pooling, padding 0; padded zeros count (every window divides by K)."""

    def apply(self, params, state, X, *, train, key=None):
        window, stride, _, pads = self.geometry(X.shape[1:])
        return avg_pool(X, window=window, stride=stride, pads=pads), state


@dataclasses.dataclass(frozen=True)
class GlobalAvgPool:
    """The mean of each channel over all spatial positions, (N, spatial..., C) -> (N, C)."""

    deterministic = True

    def init(self, key, in_shape, *, dtype):
        check_input("GlobalAvgPool", in_shape)
        return (in_shape[-1],), (), ()

    def apply(self, params, state, X, *, train, key=None):
        check_input("GlobalAvgPool", X.shape[1:])
        return global_avg_pool(X), state

    weight_mask = staticmethod(no_weights)
