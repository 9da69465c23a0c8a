r"""Batch-norm backward in training mode, in the paper's steps and in the compact formula.

Forward (``fnn.layers.batchnorm``): mu, sigma^2 (biased) over the m values of each
feature (every axis but the last), xhat = (x - mu) / sqrt(sigma^2 + eps),
y = gamma xhat + beta; every sum over n below runs over those m values.
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
    m, axes = fb.count(x), fb.reduced_axes(x)
    dxhat = dy * gamma
    dvar = jnp.sum(dxhat * (x - mu), axis=axes) * -0.5 * (var + eps) ** -1.5
    dmu = jnp.sum(-dxhat / jnp.sqrt(var + eps), axis=axes) + dvar * jnp.mean(-2 * (x - mu), axis=axes)
    dx = dxhat / jnp.sqrt(var + eps) + dvar * 2 * (x - mu) / m + dmu / m
    return fb.BatchNormParams(jnp.sum(dy * xhat, axis=axes), jnp.sum(dy, axis=axes)), dx


def backward(cache: BatchNormCache, dy):
    r"""The compact backward pass.

    Math:
        dx = (1 / m) (sigma^2 + eps)^(-1/2) (m dxhat - sum_n dxhat_n - xhat sum_n dxhat_n xhat_n),
        dxhat = dy gamma;  dgamma = sum_n dy_n xhat_n;  dbeta = sum_n dy_n
    """
    x, _, var, xhat, gamma, eps = cache
    m, axes = fb.count(x), fb.reduced_axes(x)
    dxhat = dy * gamma
    dx = (m * dxhat - jnp.sum(dxhat, axis=axes) - xhat * jnp.sum(dxhat * xhat, axis=axes)) / (m * jnp.sqrt(var + eps))
    return fb.BatchNormParams(jnp.sum(dy * xhat, axis=axes), jnp.sum(dy, axis=axes)), dx


def rule_forward(layer: fb.BatchNorm, params, state, X, *, key):
    """Training-mode forward of the spec; the running statistics updated as ``fnn`` does."""
    fb.check_state("reference.layers.batchnorm", state)
    Y, cache = forward(params, X, eps=layer.eps)
    state = fb.update_running(state, cache.mu, cache.var, fb.count(X), momentum=layer.momentum,
                              unbiased=layer.unbiased)
    return Y, state, cache


def rule_backward(layer: fb.BatchNorm, cache: BatchNormCache, dY):
    return backward(cache, dY)
