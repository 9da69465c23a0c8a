r"""Batch-norm backward in training mode, in the paper's steps and in the compact formula.

Forward (``fnn.layers.batchnorm``): mu, sigma^2 (biased) over the batch of m samples,
xhat = (x - mu) / sqrt(sigma^2 + eps), y = gamma xhat + beta.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from fnn.layers import batchnorm as fb


class BatchNormCache(NamedTuple):
    """What backward needs: x, mu, sigma^2, xhat, gamma, eps."""

    x: jax.Array
    mu: jax.Array
    var: jax.Array
    xhat: jax.Array
    gamma: jax.Array
    eps: float


def forward(params: fb.BatchNormParams, x, *, eps: float = 1e-5):
    """Training-mode forward (batch statistics); returns (y, cache)."""
    mu, var = fb.batch_statistics(x)
    xhat = (x - mu) / jnp.sqrt(var + eps)
    return params.gamma * xhat + params.beta, BatchNormCache(x, mu, var, xhat, params.gamma, eps)


def backward_steps(cache: BatchNormCache, dy):
    r"""The paper's backward pass, node by node (Ioffe and Szegedy 2015, Section 3).

    Math:
        dxhat = dy gamma
        dsigma^2 = sum_n dxhat_n (x_n - mu) (-1/2) (sigma^2 + eps)^(-3/2)
        dmu = sum_n dxhat_n (-1 / sqrt(sigma^2 + eps)) + dsigma^2 (1/m) sum_n -2 (x_n - mu)
        dx = dxhat / sqrt(sigma^2 + eps) + dsigma^2 2 (x - mu) / m + dmu / m
        dgamma = sum_n dy_n xhat_n;  dbeta = sum_n dy_n
    Returns:
        (BatchNormParams(dgamma, dbeta), dx).
    """
    x, mu, var, xhat, gamma, eps = cache
    m = x.shape[0]
    dxhat = dy * gamma
    dvar = jnp.sum(dxhat * (x - mu), axis=0) * -0.5 * (var + eps) ** -1.5
    dmu = jnp.sum(-dxhat / jnp.sqrt(var + eps), axis=0) + dvar * jnp.mean(-2 * (x - mu), axis=0)
    dx = dxhat / jnp.sqrt(var + eps) + dvar * 2 * (x - mu) / m + dmu / m
    return fb.BatchNormParams(jnp.sum(dy * xhat, axis=0), jnp.sum(dy, axis=0)), dx


def backward(cache: BatchNormCache, dy):
    r"""The compact backward pass.

    Math:
        dx = (1 / m) (sigma^2 + eps)^(-1/2) (m dxhat - sum_n dxhat_n - xhat sum_n dxhat_n xhat_n),
        dxhat = dy gamma;  dgamma = sum_n dy_n xhat_n;  dbeta = sum_n dy_n
    """
    x, _, var, xhat, gamma, eps = cache
    m = x.shape[0]
    dxhat = dy * gamma
    dx = (m * dxhat - jnp.sum(dxhat, axis=0) - xhat * jnp.sum(dxhat * xhat, axis=0)) / (m * jnp.sqrt(var + eps))
    return fb.BatchNormParams(jnp.sum(dy * xhat, axis=0), jnp.sum(dy, axis=0)), dx
