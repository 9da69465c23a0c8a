r"""Activation layers: an elementwise g, and maxout (which shrinks the last axis by ``pieces``)."""

from __future__ import annotations

import dataclasses

from fnn import activations
from fnn.layers.base import no_weights
from fnn.util import validate


@dataclasses.dataclass(frozen=True)
class Activation:
    """Layer spec: A = g(Z) elementwise, ``name`` from ``fnn.activations.ELEMENTWISE``."""

    deterministic = True

    name: str

    def __post_init__(self):
        activations.get(self.name)

    def init(self, key, in_shape, *, dtype):
        return tuple(in_shape), (), ()

    def apply(self, params, state, X, *, train, key=None):
        return activations.get(self.name)(X), state

    weight_mask = staticmethod(no_weights)


@dataclasses.dataclass(frozen=True)
class Maxout:
    """Layer spec: maxout over groups of ``pieces`` units of the last axis (``fnn.activations.maxout``).

    Shapes:
        (N, ..., D * pieces) -> (N, ..., D).
    """

    deterministic = True

    pieces: int

    def __post_init__(self):
        object.__setattr__(self, "pieces", validate.integer("Maxout", "pieces", self.pieces))

    def init(self, key, in_shape, *, dtype):
        if not in_shape or in_shape[-1] % self.pieces:
            raise ValueError(f"Maxout: expected a last input dim that is a multiple of pieces={self.pieces}, "
                             f"got input shape {tuple(in_shape)}")
        return (*in_shape[:-1], in_shape[-1] // self.pieces), (), ()

    def apply(self, params, state, X, *, train, key=None):
        return activations.maxout(X, pieces=self.pieces), state

    weight_mask = staticmethod(no_weights)
