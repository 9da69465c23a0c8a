r"""Embedding: token ids to learned vectors, the first layer of a language model.

Math:
    Y[n, t] = E[x_{n,t}]      (row x of the table E (V, D); the same as one_hot(x) E)
Backward (``reference.layers.embedding``): dE[v] = sum of dY[n, t] over the positions where
x_{n,t} = v; the ids get no gradient.
Ids are integers in [0, V), any shape (N, ...); floats holding whole numbers (as a data
pipeline that casts every array may give) are accepted and converted.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from fnn import initializers
from fnn.util import validate


class EmbeddingParams(NamedTuple):
    """The table E (V, D): one row per token."""

    E: jax.Array


def token_ids(where: str, X, vocabulary: int):
    """X as int32 ids, checked to lie in [0, V) and to be whole numbers when their values are known."""
    values = validate.concrete(X)
    if values is not None and values.size:
        if not np.all(np.mod(values, 1) == 0):
            raise ValueError(f"{where}: expected integer token ids, got non-integer values such as "
                             f"{values[np.mod(values, 1) != 0].flat[0]}")
        if values.min() < 0 or values.max() >= vocabulary:
            raise ValueError(f"{where}: expected token ids in [0, {vocabulary}) (the vocabulary), got ids in "
                             f"[{int(values.min())}, {int(values.max())}]")
    return X.astype(jnp.int32)


def apply(params: EmbeddingParams, X):
    """Y = E[X]: ids (N, ...) -> vectors (N, ..., D)."""
    return params.E[token_ids("embedding.apply", X, params.E.shape[0])]


@dataclasses.dataclass(frozen=True)
class Embedding:
    """Layer spec: a table of ``vocabulary`` x ``dim`` learned vectors (E ~ N(0, 1), as PyTorch's nn.Embedding).

    The sample shape is that of the ids, e.g. (T,) for a sequence; the output adds the axis D.
    """

    vocabulary: int
    dim: int

    deterministic = True

    def __post_init__(self):
        object.__setattr__(self, "vocabulary", validate.integer("Embedding", "vocabulary", self.vocabulary))
        object.__setattr__(self, "dim", validate.integer("Embedding", "dim", self.dim))

    def init(self, key, in_shape, *, dtype):
        return (*in_shape, self.dim), EmbeddingParams(initializers.normal(1.0)(key, (self.vocabulary, self.dim), dtype)), ()

    def apply(self, params, state, X, *, train, key=None):
        return apply(params, X), state

    def weight_mask(self, params):
        return EmbeddingParams(E=True)
