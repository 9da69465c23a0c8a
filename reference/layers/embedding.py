r"""Embedding backward: dE[v] = sum of dY over the positions holding token v (a scatter-add)."""

from __future__ import annotations

import jax.numpy as jnp

from fnn.layers import embedding as fe


def rule_forward(layer: fe.Embedding, params, state, X, *, key):
    ids = fe.token_ids("Embedding", X, layer.vocabulary)
    return params.E[ids], state, (ids, params.E.shape)


def rule_backward(layer: fe.Embedding, cache, dY):
    r"""(EmbeddingParams(dE), dX = 0): Y = one_hot(X) E, so dE = one_hot(X)^T dY, the rows of dY
    added up per token; the ids are not differentiable (their gradient is 0)."""
    ids, shape = cache
    dE = jnp.zeros(shape, dY.dtype).at[ids.reshape(-1)].add(dY.reshape(-1, shape[1]))
    return fe.EmbeddingParams(dE), jnp.zeros(ids.shape, dY.dtype)
