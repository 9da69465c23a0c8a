r"""Unpooling, 1-D and 2-D: nearest-neighbour, and max-unpooling at the remembered switches.

Layout as for pooling: (N, W, C) or (N, H, W, C), batch first, channels last.

Math (per spatial axis; f factor; k window, s stride, as in ``fnn.layers.pool``):
    nearest:  Y[n, x, c] = X[n, floor(x / f), c]           n_out = n f
    max-unpooling inside ``Unpooled(body, window)``, with a the max-pooling switches:
        P = maxpool(X) (remembering a),  Z = body(P),
        Y[n, x, c] = sum_{y: y s + a[n, y, c] = x} Z[n, y, c]   (zeros where no window chose x)
    Y has the shape of X. Unpooling is the adjoint (transpose) of the selection
    P = S_a X, so Y = S_a^T body(S_a X): where overlapping windows (s < k) chose the same
    input, their values add.
Reference: the lecture's unpooling slides; Zeiler & Fergus (2014), Noh et al. (2015).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax.numpy as jnp

from fnn.layers import pool
from fnn.layers.base import Wrapper, no_weights
from fnn.layers.conv import check_input, tuple_of


def nearest_unpool(X, factor):
    """Each value repeated ``factor[i]`` times along spatial axis i: (N, n..., C) -> (N, n f..., C)."""
    for axis, f in enumerate(factor, start=1):
        X = jnp.repeat(X, f, axis=axis)
    return X


def max_unpool(Z, a, *, sizes, window, stride, pads):
    """Y = S_a^T Z: each Z[n, y, c] put back at window element a[n, y, c] of window y, zeros
    elsewhere, summed where windows overlap; (N, sizes..., C)."""
    index = pool.window_indices(sizes, window, stride, pads)
    chosen = jnp.arange(index.shape[-1])[:, None] == a[..., None, :]  # (N, out..., K, C)
    return pool.scatter_windows(jnp.where(chosen, Z[..., None, :], 0), index, sizes, pads)


@dataclasses.dataclass(frozen=True)
class NearestUnpool:
    """Nearest-neighbour unpooling by ``factor`` (int or per axis): n -> n f per spatial axis."""

    factor: int | tuple

    deterministic = True

    def factors(self, in_shape):
        """The factor per spatial axis, checked."""
        return tuple_of("NearestUnpool", "factor", self.factor, check_input("NearestUnpool", in_shape))

    def init(self, key, in_shape, *, dtype):
        factor = self.factors(in_shape)
        return (*(n * f for n, f in zip(in_shape[:-1], factor)), in_shape[-1]), (), ()

    def apply(self, params, state, X, *, train, key=None):
        return nearest_unpool(X, self.factors(X.shape[1:])), state

    weight_mask = staticmethod(no_weights)


@dataclasses.dataclass(frozen=True)
class Unpooled(Wrapper):
    """Max-pooling, ``body``, max-unpooling at the pooling's switches: Y = S_a^T body(S_a X).

    ``window``, ``stride`` and ``padding`` are those of ``MaxPool``; the body must keep the
    pooled shape; Y has the shape of X. Params and state are the body's.
    """

    body: Any
    window: int | tuple
    stride: int | tuple | None = None
    padding: str | int | tuple = "valid"

    def geometry(self, in_shape):
        """(window, stride, dilation 1, padding pairs) of the pooling, checked."""
        return pool.geometry("Unpooled", in_shape, self.window, self.stride, self.padding)

    def init(self, key, in_shape, *, dtype):
        pooled = pool.pooled_shape(in_shape, *self.geometry(in_shape))
        out_shape, params, state = self.body.init(key, pooled, dtype=dtype)
        check_body("Unpooled", pooled, out_shape)
        return tuple(in_shape), params, state

    def apply(self, params, state, X, *, train, key=None):
        window, stride, _, pads = self.geometry(X.shape[1:])
        P, a = pool.max_pool(X, window=window, stride=stride, pads=pads)
        Z, state = self.body.apply(params, state, P, train=train, key=key)
        check_body("Unpooled.apply", P.shape[1:], Z.shape[1:])
        return max_unpool(Z, a, sizes=X.shape[1:-1], window=window, stride=stride, pads=pads), state


def check_body(where: str, pooled, out_shape) -> None:
    """Raise ValueError unless the body kept the pooled sample shape."""
    if tuple(out_shape) != tuple(pooled):
        raise ValueError(f"{where}: expected a body that keeps the pooled shape {tuple(pooled)}, got "
                         f"{tuple(out_shape)}; the unpooling puts values back where the pooling found them")
