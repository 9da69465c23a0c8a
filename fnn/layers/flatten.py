r"""Flatten: each sample's array becomes one vector, (N, d_1, ..., d_k) -> (N, d_1 ... d_k)."""

from __future__ import annotations

import dataclasses
import math

from fnn.layers.base import no_weights


def apply(X):
    """Reshape (N, ...) to (N, prod(...)); the backward pass reshapes dY back."""
    return X.reshape(X.shape[0], -1)


@dataclasses.dataclass(frozen=True)
class Flatten:
    """Layer spec of ``apply``."""

    deterministic = True

    def init(self, key, in_shape, *, dtype):
        return (math.prod(in_shape),), (), ()

    def apply(self, params, state, X, *, train, key=None):
        return apply(X), state

    weight_mask = staticmethod(no_weights)
