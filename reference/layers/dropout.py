r"""Dropout backward: the gradient flows through the same mask, with the same scale.

Math:
    y = s r * x  (r the Bernoulli keep mask, s = 1/p inverted or 1 lecture form)
    dx = s r * dy
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from fnn.layers import dropout as fd


class DropoutCache(NamedTuple):
    """The keep mask r and the training scale s."""

    r: jax.Array
    scale: jax.Array


def forward(x, *, rate, key, form: str = "inverted"):
    """Training-mode forward with the mask ``fnn.layers.dropout`` draws from ``key``; returns (y, cache)."""
    r = fd.mask(key, x.shape, rate, x.dtype)
    scale = jnp.asarray(fd.train_scale(rate, form), x.dtype)
    return x * r * scale, DropoutCache(r, scale)


def backward(cache: DropoutCache, dy):
    """dx = s r * dy."""
    return dy * cache.r * cache.scale


def rule_forward(layer: fd.Dropout, params, state, X, *, key):
    if fd.is_zero(layer.rate):
        return X, state, DropoutCache(jnp.ones((), X.dtype), jnp.ones((), X.dtype))
    if key is None:
        raise ValueError("reference.layers.dropout: expected a PRNG key in training mode, got key=None")
    Y, cache = forward(X, rate=layer.rate, key=key, form=layer.form)
    return Y, state, cache


def rule_backward(layer: fd.Dropout, cache: DropoutCache, dY):
    return (), backward(cache, dY)
