r"""Hand-derived derivatives of the activations, and their backward passes.

For an elementwise activation h = g(a) the backward pass is dL/da = dL/dh * g'(a).
Softmax, log-softmax and maxout mix units, so they have their own backward rules.
At kinks each rule states its convention, and ``jax.grad`` of the ``fnn`` forward gives
the same one: relu'(0) = 0, leaky_relu'(0) = slope, elu'(0) = alpha, maxout's first winner.
``pair(name)`` returns a (forward, backward) pair for ``reference.vjp.custom_vjp``.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from fnn import activations as fa
from fnn.util import validate


class ActivationCache(NamedTuple):
    """What the backward pass keeps: pre-activation a and output h = g(a)."""

    a: jax.Array
    h: jax.Array


def linear_derivative(a):
    """g'(a) = 1."""
    return jnp.ones_like(a)


def sigmoid_derivative(a):
    """g'(a) = g(a) (1 - g(a))."""
    g = fa.sigmoid(a)
    return g * (1 - g)


def tanh_derivative(a):
    """g'(a) = 1 - g(a)^2."""
    return 1 - jnp.square(jnp.tanh(a))


def relu_derivative(a):
    """g'(a) = 1 for a > 0, else 0 (the lecture's convention g'(0) = 0, as fnn's autodiff)."""
    return (a > 0).astype(a.dtype)


def leaky_relu_derivative(a, *, slope: float = fa.LEAKY_RELU_SLOPE):
    """g'(a) = 1 for a > 0, else slope (convention g'(0) = slope, as fnn's autodiff)."""
    return jnp.where(a > 0, jnp.ones_like(a), jnp.full_like(a, slope))


def elu_derivative(a, *, alpha: float = 1.0):
    """g'(a) = 1 for a > 0, else alpha e^a (= g(a) + alpha); convention g'(0) = alpha."""
    return jnp.where(a > 0, jnp.ones_like(a), alpha * jnp.exp(jnp.minimum(a, 0)))


def softplus_derivative(a):
    """g'(a) = sigmoid(a)."""
    return fa.sigmoid(a)


def swish_derivative(a, *, beta: float = 1.0):
    """g'(a) = s + beta a s (1 - s), with s = sigmoid(beta a)."""
    s = fa.sigmoid(beta * a)
    return s + beta * a * s * (1 - s)


DERIVATIVES = {
    "linear": linear_derivative,
    "sigmoid": sigmoid_derivative,
    "tanh": tanh_derivative,
    "relu": relu_derivative,
    "leaky_relu": leaky_relu_derivative,
    "elu": elu_derivative,
    "softplus": softplus_derivative,
    "swish": swish_derivative,
}
"""g'(a) for every elementwise activation of ``fnn.activations.ELEMENTWISE``."""


def derivative(name: str):
    """Return g' of the elementwise activation called ``name``."""
    return validate.lookup("reference.activations.derivative", "activation", name, DERIVATIVES)


def softmax_jacobian(a):
    r"""Full Jacobian of the softmax, ds_i/da_j = s_i (delta_ij - s_j).

    Shapes:
        a (..., K) -> J (..., K, K), J = diag(s) - s s^T.
    """
    s = fa.softmax(a)
    return s[..., :, None] * jnp.eye(a.shape[-1], dtype=a.dtype) - s[..., :, None] * s[..., None, :]


def softmax_backward(cache: ActivationCache, ds):
    r"""dL/da = J^T dL/ds = s * (dL/ds - sum_k s_k dL/ds_k), J^T applied without forming J."""
    s = cache.h
    return s * (ds - jnp.sum(ds * s, axis=-1, keepdims=True))


def log_softmax_backward(cache: ActivationCache, dh):
    r"""dL/da = dL/dh - s sum_k dL/dh_k, since d log s_i / da_j = delta_ij - s_j."""
    return dh - jnp.exp(cache.h) * jnp.sum(dh, axis=-1, keepdims=True)


def maxout_backward(cache: ActivationCache, dh, *, pieces: int):
    """Route each unit's gradient to the piece that won the max, 0 elsewhere.

    Convention on ties: the first winning piece (argmax) takes all of dh, as fnn's autodiff.
    """
    a = cache.a
    groups = a.reshape(*a.shape[:-1], a.shape[-1] // pieces, pieces)
    winner = jnp.argmax(groups, axis=-1)
    mask = winner[..., None] == jnp.arange(pieces, dtype=winner.dtype)
    return jnp.where(mask, dh[..., None], jnp.zeros_like(dh[..., None])).reshape(a.shape)


def _elementwise_backward(name):
    def backward(cache: ActivationCache, dh, **hyper):
        return dh * DERIVATIVES[name](cache.a, **hyper)

    return backward


BACKWARD = {name: _elementwise_backward(name) for name in DERIVATIVES} | {
    "softmax": softmax_backward,
    "log_softmax": log_softmax_backward,
    "maxout": maxout_backward,
}
FORWARD = fa.ELEMENTWISE | {"softmax": fa.softmax, "log_softmax": fa.log_softmax, "maxout": fa.maxout}


def pair(name: str, **hyper):
    """Return ``(forward, backward)`` for activation ``name`` with hyperparameters ``hyper``.

    ``forward(a) -> (h, ActivationCache)`` and ``backward(cache, dh) -> da``, the shape
    ``reference.vjp.custom_vjp`` expects.
    """
    validate.choice("reference.activations.pair", "activation", name, BACKWARD)
    g, rule = FORWARD[name], BACKWARD[name]

    def forward(a):
        h = g(a, **hyper)
        return h, ActivationCache(a, h)

    def backward(cache, dh):
        return rule(cache, dh, **hyper)

    return forward, backward
