r"""Backpropagation through time for the GRU and the LSTM, step by step as derived by hand.

Both run one reverse ``lax.scan`` over the steps, carrying the gradient on the state
(g_h, and g_c for the LSTM), and recompute each step's gates from x_t and h_{t-1}. A masked
step passes its carried gradient through unchanged (its state was copied). Every step
gives the gradients of the gates' pre-activations; the weight gradients are then single
sums over all steps: dU = sum_t x_t^T dA_t, dW = sum_t h_{t-1}^T dB_t, db = sum_t dA_t.

GRU step (forward in ``fnn.layers.gated``; q = h_{t-1} W_n + c):
    dn = g (1 - z);  dz = g (h_{t-1} - n);  g_{t-1} = g z + ...
    da_n = dn (1 - n^2);  dr = da_n q;  da_r = dr r (1 - r);  da_z = dz z (1 - z)
    input side dA = (da_r, da_z, da_n);  hidden side dB = (da_r, da_z, da_n r)
    g_{t-1} = g z + dB W^T;  dc = sum_t da_n r
LSTM step (with tc = tanh(c_t)):
    do = g_h tc;  g_c' = g_c + g_h o (1 - tc^2)
    di = g_c' g;  df = g_c' c_{t-1};  dg = g_c' i;  c-gradient into t-1: g_c' f
    dA = (di i (1 - i), df f (1 - f), dg (1 - g^2), do o (1 - o)) = dB
    h-gradient into t-1: dA W^T
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from fnn.layers import gated as fg


class GatedCache(NamedTuple):
    """Inputs X (N, T, D), the states before each step (h_{t-1}, and c_{t-1} for the LSTM), the mask, the params."""

    X: jax.Array
    previous: tuple
    M: jax.Array
    params: tuple


def _shifted(states):
    """The state before each step: zeros, then the states of steps 1..T-1."""
    return jnp.concatenate([jnp.zeros_like(states[:, :1]), states[:, :-1]], axis=1)


def forward(params, X, *, mask=None):
    """The outputs of ``fnn.layers.gated`` (GRU or LSTM by the params' type), keeping what BPTT needs."""
    M = jnp.ones(X.shape[:2], X.dtype) if mask is None else mask.astype(X.dtype)
    if isinstance(params, fg.GRUParams):
        states, last = fg.gru_states(params, X, mask=mask)
        return states, last, GatedCache(X, (_shifted(states),), M, params)
    (H_all, C_all), last = fg.lstm_states(params, X, mask=mask)
    return (H_all, C_all), last, GatedCache(X, (_shifted(H_all), _shifted(C_all)), M, params)


def gru_step(params: fg.GRUParams, g, h, x):
    """(gradient into h_{t-1}, dA, dB, dc) of one GRU step for the gradient g on h_t."""
    r, z, n, q = fg.gru_gates(params, h, x)
    da_n = g * (1 - z) * (1 - n * n)
    da_r = da_n * q * r * (1 - r)
    da_z = g * (h - n) * z * (1 - z)
    dB = jnp.concatenate([da_r, da_z, da_n * r], axis=-1)
    return g * z + dB @ params.W.T, jnp.concatenate([da_r, da_z, da_n], axis=-1), dB, da_n * r


def lstm_step(params: fg.LSTMParams, g_h, g_c, h, c, x):
    """(gradients into h_{t-1} and c_{t-1}, dA) of one LSTM step for the gradients (g_h, g_c) on (h_t, c_t)."""
    i, f, gc, o = fg.lstm_gates(params, h, x)
    tc = jnp.tanh(f * c + i * gc)
    g_c = g_c + g_h * o * (1 - tc * tc)
    dA = jnp.concatenate([g_c * gc * i * (1 - i), g_c * c * f * (1 - f), g_c * i * (1 - gc * gc),
                          g_h * tc * o * (1 - o)], axis=-1)
    return dA @ params.W.T, g_c * f, dA


def _time_major(*arrays):
    return tuple(jnp.swapaxes(a, 0, 1) for a in arrays)


def backward(cache: GatedCache, dY):
    """(dparams, dX) for the upstream gradient on every h_t: dY (N, T, H) (for the LSTM, (dH, dC))."""
    params, M = cache.params, cache.M[..., None]
    if isinstance(params, fg.GRUParams):
        def step(g_next, inputs):
            dY_t, h, x, m = inputs
            g = dY_t + g_next
            g_prev, dA, dB, dc = gru_step(params, m * g, h, x)
            return g_prev + (1 - m) * g, (dA, dB, dc)

        inputs = _time_major(dY, cache.previous[0], cache.X, M)
        _, (dA, dB, dc) = jax.lax.scan(step, jnp.zeros_like(dY[:, 0]), inputs, reverse=True)
        extra = (jnp.sum(dc, axis=(0, 1)),)
    else:
        def step(carry, inputs):
            dH_t, dC_t, h, c, x, m = inputs
            g_h, g_c = dH_t + carry[0], dC_t + carry[1]
            h_prev, c_prev, dA = lstm_step(params, m * g_h, m * g_c, h, c, x)
            return (h_prev + (1 - m) * g_h, c_prev + (1 - m) * g_c), dA

        inputs = _time_major(*dY, *cache.previous, cache.X, M)
        _, dA = jax.lax.scan(step, (jnp.zeros_like(dY[0][:, 0]),) * 2, inputs, reverse=True)
        dB, extra = dA, ()
    dA, dB = (jnp.swapaxes(a, 0, 1) for a in (dA, dB))
    dU = jnp.einsum("ntd,ntk->dk", cache.X, dA)
    dW = jnp.einsum("nth,ntk->hk", cache.previous[0], dB)
    return type(params)(dU, dW, jnp.sum(dA, axis=(0, 1)), *extra), dA @ params.U.T


def rule_forward(layer, params, state, X, *, key):
    states, last, cache = forward(params, X)
    if isinstance(layer, fg.LSTM):
        states, last = states[0], last[0]
    return (states if layer.sequences else last), state, cache


def rule_backward(layer, cache: GatedCache, dY):
    """dY on every h_t (N, T, H), or on the last h_T (N, H) for ``sequences=False``."""
    shape = (*cache.X.shape[:2], cache.params.W.shape[0])
    dH = dY if layer.sequences else jnp.zeros(shape, dY.dtype).at[:, -1].set(dY)
    return backward(cache, (dH, jnp.zeros_like(dH)) if isinstance(layer, fg.LSTM) else dH)
