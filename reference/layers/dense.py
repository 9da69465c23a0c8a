r"""Dense layer forward with cache, and the lecture's backward pass."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from fnn.layers import dense as fd


class DenseCache(NamedTuple):
    """Input X and weights W of the forward pass Z = X W + b."""

    X: jax.Array
    W: jax.Array


def forward(params: fd.DenseParams, X):
    """Z = X W + b (``fnn.layers.dense.apply``), keeping what the backward pass needs."""
    return fd.apply(params, X), DenseCache(X, params.W)


def backward(cache: DenseCache, dZ):
    r"""Backward pass of the dense layer.

    Math:
        dW = X^T dZ;  db = sum_n dZ_n;  dX = dZ W^T.
        With leading axes (time steps, pixels) the rows of every position are stacked
        into one matrix first: X (M, D_in), dZ (M, D_out), M = N x positions.
    Shapes:
        X (N, ..., D_in), W (D_in, D_out), dZ (N, ..., D_out) -> dW (D_in, D_out), db (D_out,), dX like X.
    Returns:
        (DenseParams(dW, db), dX).
    """
    X = cache.X.reshape(-1, cache.X.shape[-1])
    G = dZ.reshape(-1, dZ.shape[-1])
    return fd.DenseParams(X.T @ G, jnp.sum(G, axis=0)), dZ @ cache.W.T


def rule_forward(layer: fd.Dense, params, state, X, *, key):
    Z, cache = forward(params, X)
    return Z, state, cache


def rule_backward(layer: fd.Dense, cache: DenseCache, dZ):
    return backward(cache, dZ)
