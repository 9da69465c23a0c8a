r"""Reshaping samples: ``Flatten`` makes each sample one vector, (N, d_1, ..., d_k) ->
(N, d_1 ... d_k); ``Reshape(shape)`` gives each sample ``shape`` (flat pixel rows -> images)."""

from __future__ import annotations

import dataclasses
import math

from fnn.layers.base import no_weights
from fnn.util import validate


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


@dataclasses.dataclass(frozen=True)
class Reshape:
    """Each sample takes ``shape`` (e.g. 64 pixels -> (8, 8, 1)); the backward pass reshapes dY back."""

    shape: tuple

    deterministic = True

    def __post_init__(self):
        object.__setattr__(self, "shape", tuple(validate.integer("Reshape", "shape", d) for d in self.shape))

    def init(self, key, in_shape, *, dtype):
        if math.prod(in_shape) != math.prod(self.shape):
            raise ValueError(f"Reshape: expected samples of {math.prod(self.shape)} values to take shape {self.shape}, "
                             f"got samples of shape {tuple(in_shape)}")
        return self.shape, (), ()

    def apply(self, params, state, X, *, train, key=None):
        return X.reshape(X.shape[0], *self.shape), state

    weight_mask = staticmethod(no_weights)
