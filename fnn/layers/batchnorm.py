r"""Batch normalisation (Ioffe and Szegedy 2015) of the features on the last axis.

The statistics are taken over every axis but the last: the batch of (N, D) activations,
and also the positions of (N, H, W, C) images or the time steps of (N, T, D) sequences,
so m = N (or N H W, N T) values per feature.

Math (training mode, m values per feature):
    mu = (1/m) sum_n x_n;  sigma^2 = (1/m) sum_n (x_n - mu)^2      (biased, for normalising)
    xhat = (x - mu) / sqrt(sigma^2 + eps);  y = gamma xhat + beta
    running mean = momentum * running mean + (1 - momentum) * mu
    running var  = momentum * running var + (1 - momentum) * sigma^2 [* m / (m - 1) if unbiased]
Evaluation mode normalises with the running statistics instead.

Convention: ``momentum`` is the weight on the OLD running value (Keras, Flax: 0.99 / 0.9);
PyTorch's ``momentum=0.1`` is the weight on the new batch value, i.e. ours 0.9.
``unbiased=True`` stores the paper's m / (m - 1) inference variance (as PyTorch does).
"""

from __future__ import annotations

import dataclasses
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp

from fnn.layers.base import no_weights
from fnn.util import validate


class BatchNormParams(NamedTuple):
    """Learned scale gamma (D,) and shift beta (D,)."""

    gamma: jax.Array
    beta: jax.Array


class BatchNormState(NamedTuple):
    """Running mean and variance (D,) for evaluation mode."""

    mean: jax.Array
    var: jax.Array


def init(d: int, *, dtype=jnp.float32) -> BatchNormParams:
    """gamma = 1, beta = 0: the layer starts as a pure normalisation."""
    return BatchNormParams(jnp.ones((d,), dtype), jnp.zeros((d,), dtype))


def init_state(d: int, *, dtype=jnp.float32) -> BatchNormState:
    """Running mean 0 and variance 1."""
    return BatchNormState(jnp.zeros((d,), dtype), jnp.ones((d,), dtype))


def check(momentum: float, eps: float) -> None:
    """Range-check the hyperparameters."""
    validate.number_in("batchnorm", "momentum", momentum, 0.0, 1.0, high_open=True)
    validate.number_in("batchnorm", "eps", eps, 0.0, low_open=True)


def reduced_axes(X) -> tuple[int, ...]:
    """The axes the statistics are taken over: all but the last (features)."""
    return tuple(range(X.ndim - 1))


def count(X) -> int:
    """m, the number of values per feature: the product of all but the last dimension."""
    return math.prod(X.shape[:-1])


def check_state(where: str, state) -> None:
    """Raise ValueError unless ``state`` is a ``BatchNormState`` (e.g. the empty state ``()`` was passed)."""
    if not isinstance(state, BatchNormState):
        raise ValueError(f"{where}: expected its state (running mean and variance), got {state!r}; "
                         "pass the model state that init returned")


def batch_statistics(X):
    """Mean and biased variance per feature over all other axes; a batch of one sample is refused."""
    if X.ndim < 2:
        raise ValueError(f"batchnorm.apply: expected X with at least 2 dimensions (N, ..., D), got X.shape={X.shape}")
    if X.shape[0] < 2:
        raise ValueError(
            f"batchnorm.apply: expected a batch of at least 2 samples in training mode, got X.shape={X.shape}; "
            "the variance of one sample is 0"
        )
    axes = reduced_axes(X)
    mu = jnp.mean(X, axis=axes)
    return mu, jnp.mean(jnp.square(X - mu), axis=axes)


def update_running(state: BatchNormState, mu, var, m: int, *, momentum: float, unbiased: bool) -> BatchNormState:
    """The running averages after one batch of m samples, in the state's own dtype (under mixed
    precision the batch statistics are bfloat16, the running averages stay float32)."""
    stored_var = var * (m / (m - 1)) if unbiased else var
    mu, stored_var = mu.astype(state.mean.dtype), stored_var.astype(state.var.dtype)
    return BatchNormState(momentum * state.mean + (1 - momentum) * mu, momentum * state.var + (1 - momentum) * stored_var)


def apply(params: BatchNormParams, state: BatchNormState, X, *, train: bool, momentum: float = 0.9,
          eps: float = 1e-5, unbiased: bool = False):
    """Normalise X (N, ..., D) per feature; returns (Y, state), the state updated in training mode only."""
    check(momentum, eps)
    if train:
        mu, var = batch_statistics(X)
        state = update_running(state, mu, var, count(X), momentum=momentum, unbiased=unbiased)
    else:
        mu, var = state.mean.astype(X.dtype), state.var.astype(X.dtype)
    return params.gamma * (X - mu) / jnp.sqrt(var + eps) + params.beta, state


@dataclasses.dataclass(frozen=True)
class BatchNorm:
    """Layer spec: batch norm of the last axis (see the module for ``momentum`` and ``unbiased``)."""

    deterministic = True

    momentum: float = 0.9
    eps: float = 1e-5
    unbiased: bool = False

    def __post_init__(self):
        check(self.momentum, self.eps)

    def init(self, key, in_shape, *, dtype):
        if len(in_shape) < 1:
            raise ValueError(f"BatchNorm: expected an input shape (..., D), got {in_shape}")
        return tuple(in_shape), init(in_shape[-1], dtype=dtype), init_state(in_shape[-1], dtype=dtype)

    def apply(self, params, state, X, *, train, key=None):
        check_state("BatchNorm.apply", state)
        return apply(params, state, X, train=train, momentum=self.momentum, eps=self.eps, unbiased=self.unbiased)

    weight_mask = staticmethod(no_weights)
