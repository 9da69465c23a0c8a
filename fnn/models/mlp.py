r"""Multilayer perceptron: L hidden dense layers with activation g, then a linear output.

Math:
    A_0 = X;  Z_k = A_{k-1} W_k + b_k;  A_k = g(Z_k) for k = 1..L;  output Z_{L+1} (logits).

Parameters are an ``MLPParams`` of per-layer NamedTuples so that later layer kinds
(batch norm, dropout, residual connections) add fields next to ``dense`` rather than
change what exists.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp

from fnn import activations, initializers
from fnn.layers import dense


@dataclasses.dataclass(frozen=True)
class MLPConfig:
    """Architecture of an MLP (hashable, so it can be a static argument of ``jax.jit``).

    Attributes:
        sizes: layer widths (D_in, h_1, ..., h_L, D_out); at least input and output.
        activation: hidden activation, a name from ``fnn.activations.ELEMENTWISE``.
        initializer: weight initializer, a name from ``fnn.initializers.BY_NAME``.
    """

    sizes: tuple[int, ...]
    activation: str = "relu"
    initializer: str = "he_normal"

    def __post_init__(self):
        sizes = tuple(self.sizes)
        if len(sizes) < 2 or not all(isinstance(s, int) and s > 0 for s in sizes):
            raise ValueError(
                f"MLPConfig: expected sizes to be at least two positive ints "
                f"(D_in, ..., D_out), got {self.sizes!r}"
            )
        object.__setattr__(self, "sizes", sizes)
        activations.get(self.activation)
        initializers.get(self.initializer)


class MLPParams(NamedTuple):
    """Parameters of an MLP: one ``DenseParams`` per layer, input to output."""

    dense: tuple[dense.DenseParams, ...]


def init(key, config: MLPConfig, *, dtype=jnp.float32) -> MLPParams:
    """Initialise every layer, each weight matrix from its own subkey, biases at zero."""
    keys = jax.random.split(key, len(config.sizes) - 1)
    init_W = initializers.get(config.initializer)
    layers = tuple(
        dense.init(k, d_in, d_out, initializer=init_W, dtype=dtype)
        for k, d_in, d_out in zip(keys, config.sizes[:-1], config.sizes[1:])
    )
    return MLPParams(layers)


def apply(params: MLPParams, X, *, config: MLPConfig):
    """Forward pass to the logits (the output layer has no activation).

    Shapes:
        X (N, D_in) -> logits (N, D_out).
    """
    if len(params.dense) != len(config.sizes) - 1:
        raise ValueError(
            f"mlp.apply: expected {len(config.sizes) - 1} dense layers for sizes "
            f"{config.sizes}, got {len(params.dense)}"
        )
    g = activations.get(config.activation)
    A = X
    for layer in params.dense[:-1]:
        A = g(dense.apply(layer, A))
    return dense.apply(params.dense[-1], A)
