r"""Backpropagation through time for the simple RNN, as the lecture derives it.

Forward (``fnn.layers.rnn``): a_t = x_t U + s_{t-1} W + b, s_t = m_t tanh(a_t) + (1 - m_t) s_{t-1}.

Backward, given dS_t = dL/ds_t from the layer above (every state, or only the last):
    g_T = dS_T                                   the total gradient on s_t, from t = T down to 1:
    da_t = m_t g_t * (1 - s_t^2)                 (tanh' = 1 - tanh^2; s_t = tanh(a_t) where m_t = 1)
    g_{t-1} = dS_{t-1} + da_t W^T + (1 - m_t) g_t   (through a_t, and the copy at a padded step)
then, summing over every step and sample,
    dU = sum_t x_t^T da_t,  dW = sum_t s_{t-1}^T da_t,  db = sum_t da_t,  dx_t = da_t U^T.
The recursion on g is one reverse ``lax.scan``; the sums are single matrix products over
all steps. Truncated BPTT (k): nothing is carried back from step t to step t-1 when t is a
multiple of k (0-based steps: the chunk boundaries of ``fnn.layers.rnn``), so g_{t-1} = dS_{t-1} there.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from fnn.layers import rnn as fr


class RNNCache(NamedTuple):
    """Inputs X (N, T, D), the initial state s_0 (N, H), every state S (N, T, H), the weights,
    the mask M (N, T) of valid steps (ones without one)."""

    X: jax.Array
    s0: jax.Array
    S: jax.Array
    params: fr.RNNParams
    M: jax.Array


def forward(params: fr.RNNParams, X, *, mask=None, truncate=None):
    """The states S and last state of ``fnn.layers.rnn.states``, keeping what BPTT needs."""
    S, last = fr.states(params, X, mask=mask, truncate=truncate)
    s0 = jnp.zeros((X.shape[0], params.W.shape[0]), X.dtype)
    M = jnp.ones(X.shape[:2], X.dtype) if mask is None else mask.astype(X.dtype)
    return S, last, RNNCache(X, s0, S, params, M)


def state_gradients(cache: RNNCache, dS, truncate=None):
    r"""dA (N, T, H): da_t for every step, by the reverse recursion on g_t (module docstring)."""
    W = cache.params.W
    T = dS.shape[1]

    def step(g_next, inputs):
        t, dS_t, s_t, m_t = inputs
        g = dS_t + g_next
        da = m_t[:, None] * g * (1 - s_t * s_t)
        carried = da @ W.T + (1 - m_t[:, None]) * g
        if truncate is not None:
            carried = jnp.where(t % truncate == 0, jnp.zeros_like(carried), carried)
        return carried, da

    time_major = (jnp.arange(T), *(jnp.swapaxes(a, 0, 1) for a in (dS, cache.S, cache.M)))
    _, dA = jax.lax.scan(step, jnp.zeros_like(dS[:, 0]), time_major, reverse=True)
    return jnp.swapaxes(dA, 0, 1)


def backward(cache: RNNCache, dS, truncate=None):
    """(RNNParams(dU, dW, db), dX) for the upstream gradient dS (N, T, H) on every state."""
    dA = state_gradients(cache, dS, truncate)
    previous = jnp.concatenate([cache.s0[:, None], cache.S[:, :-1]], axis=1)
    dU = jnp.einsum("ntd,nth->dh", cache.X, dA)
    dW = jnp.einsum("ntk,nth->kh", previous, dA)
    return fr.RNNParams(dU, dW, jnp.sum(dA, axis=(0, 1))), dA @ cache.params.U.T


def rule_forward(layer: fr.SimpleRNN, params, state, X, *, key):
    S, last, cache = forward(params, X, truncate=layer.truncate)
    return (S if layer.sequences else last), state, cache


def rule_backward(layer: fr.SimpleRNN, cache: RNNCache, dY):
    """dY is dS (N, T, H), or dL/ds_T (N, H) for a layer that returns only its last state."""
    dS = dY if layer.sequences else jnp.zeros_like(cache.S).at[:, -1].set(dY)
    return backward(cache, dS, layer.truncate)


def split(body, dY):
    r"""(dY_f, dY_b) of a bidirectional layer: the halves of dY, the backward one in its own
    reversed time order (Y_b was reversed to be joined)."""
    dY_f, dY_b = jnp.split(dY, 2, axis=-1)
    return dY_f, dY_b[:, ::-1] if body.sequences else dY_b
