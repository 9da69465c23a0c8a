r"""Multilayer perceptron: L hidden dense layers with activation g, then a linear output.

Math (hidden layer k = 1..L, A_0 = X):
    Z_k = A_{k-1} W_k + b_k;  [Z_k = BN(Z_k) if batchnorm="before"]
    A_k = g(Z_k);             [A_k = BN(A_k) if batchnorm="after"];  A_k = dropout(A_k)
    logits = A_L W_{L+1} + b_{L+1}

``forward(params, state, X, *, config, train, key)`` is the general pass (batch-norm state
in and out, dropout keys); ``apply(params, X, *, config, state)`` is evaluation mode.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp

from fnn import activations, initializers, validate
from fnn.layers import batchnorm, dense, dropout

BATCHNORM_PLACES = ("before", "after")
BATCHNORM_EPS = 1e-5


@dataclasses.dataclass(frozen=True)
class MLPConfig:
    """Architecture of an MLP (hashable, so it can be a static argument of ``jax.jit``).

    Attributes:
        sizes: layer widths (D_in, h_1, ..., h_L, D_out); at least input and output.
        activation: hidden activation, a name from ``fnn.activations.ELEMENTWISE``.
        initializer: weight initializer, a name from ``fnn.initializers.BY_NAME``.
        batchnorm: None, or batch norm on every hidden layer "before" or "after" g.
        batchnorm_momentum: weight of the old running statistics (see ``fnn.layers.batchnorm``).
        unbiased_variance: store the m / (m - 1) inference variance.
        dropout: rate of zeroing each hidden unit in training (0: none).
        dropout_form: "inverted" (scale by 1/p in training) or "lecture" (scale by p at test).
    """

    sizes: tuple[int, ...]
    activation: str = "relu"
    initializer: str = "he_normal"
    batchnorm: str | None = None
    batchnorm_momentum: float = 0.9
    unbiased_variance: bool = False
    dropout: float = 0.0
    dropout_form: str = "inverted"

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
        if self.batchnorm is not None:
            validate.choice("MLPConfig", "batchnorm", self.batchnorm, BATCHNORM_PLACES)
        batchnorm.check(self.batchnorm_momentum, BATCHNORM_EPS)
        dropout.check(self.dropout, self.dropout_form)

    @property
    def hidden(self) -> tuple[int, ...]:
        """The hidden widths h_1..h_L."""
        return self.sizes[1:-1]


class MLPParams(NamedTuple):
    """Parameters: one ``DenseParams`` per layer, one ``BatchNormParams`` per hidden layer (if any)."""

    dense: tuple
    batchnorm: tuple = ()


class MLPState(NamedTuple):
    """Running batch-norm statistics, one ``BatchNormState`` per hidden layer (if any)."""

    batchnorm: tuple = ()


def init(key, config: MLPConfig, *, dtype=jnp.float32) -> MLPParams:
    """Initialise every layer, each weight matrix from its own subkey, biases at zero."""
    keys = jax.random.split(key, len(config.sizes) - 1)
    init_W = initializers.get(config.initializer)
    layers = tuple(
        dense.init(k, d_in, d_out, initializer=init_W, dtype=dtype)
        for k, d_in, d_out in zip(keys, config.sizes[:-1], config.sizes[1:])
    )
    norms = tuple(batchnorm.init(h, dtype=dtype) for h in config.hidden) if config.batchnorm else ()
    return MLPParams(layers, norms)


def init_state(config: MLPConfig, *, dtype=jnp.float32) -> MLPState:
    """The initial running statistics (empty without batch norm)."""
    return MLPState(tuple(batchnorm.init_state(h, dtype=dtype) for h in config.hidden) if config.batchnorm else ())


def _check(params: MLPParams, config: MLPConfig):
    if len(params.dense) != len(config.sizes) - 1:
        raise ValueError(
            f"mlp.apply: expected {len(config.sizes) - 1} dense layers for sizes "
            f"{config.sizes}, got {len(params.dense)}"
        )


def _run(params: MLPParams, state: MLPState, X, *, config: MLPConfig, train: bool, key=None):
    """The forward pass; returns ``(logits, state, hidden activations A_1..A_L)``."""
    _check(params, config)
    if config.batchnorm and len(getattr(state, "batchnorm", ())) != len(config.hidden):
        raise ValueError(f"mlp.forward: expected {len(config.hidden)} batch-norm states, got {len(state.batchnorm)}")
    if train and config.dropout > 0 and key is None:
        raise ValueError("mlp.forward: expected a PRNG key for dropout in training mode, got key=None")
    g = activations.get(config.activation)
    A, new_norms, hidden = X, [], []

    def normalise(k, H):
        H, s = batchnorm.apply(params.batchnorm[k], state.batchnorm[k], H, train=train,
                               momentum=config.batchnorm_momentum, eps=BATCHNORM_EPS, unbiased=config.unbiased_variance)
        new_norms.append(s)
        return H

    for k, layer in enumerate(params.dense[:-1]):
        Z = dense.apply(layer, A)
        if config.batchnorm == "before":
            Z = normalise(k, Z)
        A = g(Z)
        if config.batchnorm == "after":
            A = normalise(k, A)
        if config.dropout > 0:
            A = dropout.apply(A, rate=config.dropout, train=train, form=config.dropout_form,
                              key=jax.random.fold_in(key, k) if train else None)
        hidden.append(A)
    # Without batch norm the state passes through untouched, so its pytree structure is stable.
    return dense.apply(params.dense[-1], A), MLPState(tuple(new_norms)) if config.batchnorm else state, hidden


def forward(params: MLPParams, state: MLPState, X, *, config: MLPConfig, train: bool, key=None):
    """The forward pass to the logits; returns ``(logits, state)``.

    In training mode batch norm uses batch statistics and updates ``state``, and dropout
    draws hidden layer k's mask from ``fold_in(key, k)``.
    """
    return _run(params, state, X, config=config, train=train, key=key)[:2]


def hidden_activations(params: MLPParams, state: MLPState, X, *, config: MLPConfig) -> list:
    """The evaluation-mode hidden activations A_1..A_L (after batch norm and dropout, if any)."""
    return _run(params, state, X, config=config, train=False)[2]


def apply(params: MLPParams, X, *, config: MLPConfig, state: MLPState | None = None):
    """Evaluation-mode forward pass to the logits (running statistics, no dropout).

    Shapes:
        X (N, D_in) -> logits (N, D_out).
    """
    if state is None:
        if config.batchnorm:
            raise ValueError("mlp.apply: a batch-norm MLP needs its state (running statistics) in evaluation mode")
        state = MLPState()
    return forward(params, state, X, config=config, train=False)[0]
