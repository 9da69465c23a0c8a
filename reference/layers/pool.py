r"""Pooling and unpooling backward, as the lecture derives them.

With the windows of ``fnn.layers.pool`` (window element j of output y sits at input
y s + j per axis; K elements per window; P spatial positions):
    max pooling:      dX_pad[n, y s + j, c] += dY[n, y, c]  if j = a[n, y, c] (the switch)
                      (dY routed to the first maximum of each window, then the padding cut off)
    average pooling:  dX_pad[n, y s + j, c] += dY[n, y, c] / K   for every j (padding cut off)
    global average:   dX[n, x, c] = dY[n, c] / P
    nearest unpool:   dX[n, x, c] = sum of dY over the f x f block that copied X[n, x, c]
    max-unpooling (``Unpooled``, Y = S_a^T body(S_a X)):
                      dZ = S_a dY (dY read at the switches), (dtheta, dP) = body backward,
                      dX = S_a^T dP (routed to the switches, as max pooling does)
Where overlapping windows share an input, their contributions add. Max pooling's backward
and max-unpooling's forward are the same map S_a^T; so are max pooling's forward at fixed
switches and max-unpooling's backward, S_a.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp

from fnn.layers import pool as fp
from fnn.layers import unpool as fu


class Switches(NamedTuple):
    """Where each window's first maximum is: a (N, out..., C), the index j in the window; and X's shape."""

    a: jax.Array
    shape: tuple


def pool_forward(layer, X):
    """Max pooling with its switches: (Y, Switches). ``layer`` is a MaxPool or an Unpooled."""
    window, stride, _, pads = layer.geometry(X.shape[1:])
    Y, a = fp.max_pool(X, window=window, stride=stride, pads=pads)
    return Y, Switches(a, X.shape)


def to_switches(layer, switches: Switches, G):
    """S_a^T G: each G[n, y, c] added at the input its window's switch chose; zeros elsewhere."""
    window, stride, _, pads = layer.geometry(switches.shape[1:])
    sizes = switches.shape[1:-1]
    index = fp.window_indices(sizes, window, stride, pads)
    j = jnp.arange(index.shape[-1])[:, None]
    routed = jnp.where(j == switches.a[..., None, :], G[..., None, :], 0)  # (N, out..., K, C)
    return fp.scatter_windows(routed, index, sizes, pads)


def at_switches(layer, switches: Switches, G):
    """S_a G: G (shaped like X) read at each window's switch; (N, out..., C)."""
    window, stride, _, pads = layer.geometry(switches.shape[1:])
    windows = fp.gather_windows(G, fp.window_indices(switches.shape[1:-1], window, stride, pads), pads, 0)
    return jnp.take_along_axis(windows, switches.a[..., None, :], axis=-2)[..., 0, :]


def maxpool_forward(layer: fp.MaxPool, params, state, X, *, key):
    Y, switches = pool_forward(layer, X)
    return Y, state, switches


def maxpool_backward(layer: fp.MaxPool, switches: Switches, dY):
    return (), to_switches(layer, switches, dY)


def avgpool_forward(layer: fp.AvgPool, params, state, X, *, key):
    return layer.apply(params, state, X, train=True)[0], state, X.shape


def avgpool_backward(layer: fp.AvgPool, shape, dY):
    """dY / K spread over every element of its window, summed into the padded input, cropped."""
    window, stride, _, pads = layer.geometry(shape[1:])
    index = fp.window_indices(shape[1:-1], window, stride, pads)
    spread = jnp.broadcast_to(dY[..., None, :] / index.shape[-1], (*dY.shape[:-1], index.shape[-1], dY.shape[-1]))
    return (), fp.scatter_windows(spread, index, shape[1:-1], pads)


def global_forward(layer: fp.GlobalAvgPool, params, state, X, *, key):
    return fp.global_avg_pool(X), state, X.shape


def global_backward(layer: fp.GlobalAvgPool, shape, dY):
    """dX[n, x, c] = dY[n, c] / P at every position x."""
    positions = shape[1:-1]
    per_position = dY.reshape(dY.shape[0], *(1,) * len(positions), dY.shape[-1]) / math.prod(positions)
    return (), jnp.broadcast_to(per_position, shape)


def nearest_forward(layer: fu.NearestUnpool, params, state, X, *, key):
    return layer.apply(params, state, X, train=True)[0], state, X.shape


def nearest_backward(layer: fu.NearestUnpool, shape, dY):
    """dX = the sum of dY over each block of copies: (N, n_1, f_1, n_2, f_2, C) summed over the f axes."""
    factor = layer.factors(shape[1:])
    blocks = [d for n, f in zip(shape[1:-1], factor) for d in (n, f)]
    summed = tuple(range(2, 2 * len(factor) + 1, 2))
    return (), dY.reshape(shape[0], *blocks, shape[-1]).sum(axis=summed)
