r"""Batch normalisation (Ioffe and Szegedy 2015) over the batch axis of (N, D) activations.

Math (training mode, batch of m samples):
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

from typing import NamedTuple

import jax
import jax.numpy as jnp

from fnn import validate


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


def batch_statistics(X):
    """Batch mean and biased variance over axis 0; a batch of one sample is refused."""
    validate.ndim("batchnorm.apply", "X", X, 2, "batch norm here normalises (N, D) activations")
    if X.shape[0] < 2:
        raise ValueError(
            f"batchnorm.apply: expected a batch of at least 2 samples in training mode, got X.shape={X.shape}; "
            "the variance of one sample is 0"
        )
    mu = jnp.mean(X, axis=0)
    return mu, jnp.mean(jnp.square(X - mu), axis=0)


def update_running(state: BatchNormState, mu, var, m: int, *, momentum: float, unbiased: bool) -> BatchNormState:
    """The running averages after one batch of m samples."""
    stored_var = var * (m / (m - 1)) if unbiased else var
    return BatchNormState(momentum * state.mean + (1 - momentum) * mu, momentum * state.var + (1 - momentum) * stored_var)


def apply(params: BatchNormParams, state: BatchNormState, X, *, train: bool, momentum: float = 0.9,
          eps: float = 1e-5, unbiased: bool = False):
    """Normalise X (N, D); returns (Y, state), the state updated in training mode only."""
    check(momentum, eps)
    if train:
        mu, var = batch_statistics(X)
        state = update_running(state, mu, var, X.shape[0], momentum=momentum, unbiased=unbiased)
    else:
        mu, var = state.mean, state.var
    return params.gamma * (X - mu) / jnp.sqrt(var + eps) + params.beta, state
