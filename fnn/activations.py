r"""Activation functions g(a) of the lectures, written to be stable for |a| up to 1e4.

Every function maps a pre-activation array ``a`` of any shape to an array of the same
shape, except ``maxout`` (which shrinks the last axis by ``pieces``). ``softmax`` and
``log_softmax`` normalise over the last axis. Hyperparameters are keyword-only.

Gradient convention at kinks: ``relu`` and ``leaky_relu`` use g'(0) = 0 (resp. slope),
the lecture's choice; hand-derived derivatives live in ``reference.activations``.
"""

from __future__ import annotations

import jax.numpy as jnp

from fnn import validate

LEAKY_RELU_SLOPE = 0.1
"""Lecture default for the leaky ReLU slope (PyTorch and optax use 0.01)."""


def linear(a):
    """Identity, g(a) = a."""
    return a


def sigmoid(a):
    r"""Logistic sigmoid.

    Math:
        g(a) = 1 / (1 + exp(-a)), computed from z = exp(-|a|) so no branch overflows:
        g(a) = 1 / (1 + z) for a >= 0 and z / (1 + z) otherwise.
    """
    z = jnp.exp(-jnp.abs(a))
    return jnp.where(a >= 0, 1 / (1 + z), z / (1 + z))


def tanh(a):
    """Hyperbolic tangent, g(a) = (e^a - e^-a) / (e^a + e^-a)."""
    return jnp.tanh(a)


def relu(a):
    """Rectified linear unit, g(a) = max(0, a), with g'(0) = 0."""
    return jnp.where(a > 0, a, jnp.zeros_like(a))


def leaky_relu(a, *, slope: float = LEAKY_RELU_SLOPE):
    """Leaky ReLU, g(a) = a for a > 0 and slope * a otherwise (lecture slope 0.1)."""
    validate.number_in("leaky_relu", "slope", slope, 0.0, 1.0, high_open=True)
    return jnp.where(a > 0, a, slope * a)


def elu(a, *, alpha: float = 1.0):
    """Exponential linear unit, g(a) = a for a > 0 and alpha (e^a - 1) otherwise."""
    validate.number_in("elu", "alpha", alpha, 0.0, low_open=True)
    return jnp.where(a > 0, a, alpha * jnp.expm1(jnp.minimum(a, 0)))


def softplus(a):
    """Softplus, g(a) = log(1 + e^a), computed as max(a, 0) + log1p(exp(-|a|))."""
    return jnp.maximum(a, 0) + jnp.log1p(jnp.exp(-jnp.abs(a)))


def swish(a, *, beta: float = 1.0):
    """Swish, g(a) = a * sigmoid(beta * a); beta = 1 is SiLU."""
    validate.number_in("swish", "beta", beta, 0.0)
    return a * sigmoid(beta * a)


def maxout(a, *, pieces: int):
    """Maxout over groups of ``pieces`` consecutive units of the last axis.

    Math:
        h_i = max_{j < k} a_{i k + j}, with k = pieces linear pieces per output unit.
    Shapes:
        a: (..., D * k) -> (..., D)
    """
    if not isinstance(pieces, int) or pieces < 1:
        raise ValueError(f"maxout: expected pieces to be a positive int, got {pieces!r}")
    width = a.shape[-1]
    if width % pieces:
        raise ValueError(
            f"maxout: expected the last dim of a to be a multiple of pieces={pieces}, "
            f"got a.shape={a.shape}"
        )
    return jnp.max(a.reshape(*a.shape[:-1], width // pieces, pieces), axis=-1)


def softmax(a):
    """Softmax over the last axis, s_k = exp(a_k - max a) / sum_j exp(a_j - max a)."""
    shifted = a - jnp.max(a, axis=-1, keepdims=True)
    e = jnp.exp(shifted)
    return e / jnp.sum(e, axis=-1, keepdims=True)


def log_softmax(a):
    """Log-softmax over the last axis, a_k - max a - log sum_j exp(a_j - max a)."""
    shifted = a - jnp.max(a, axis=-1, keepdims=True)
    return shifted - jnp.log(jnp.sum(jnp.exp(shifted), axis=-1, keepdims=True))


ELEMENTWISE = {
    "linear": linear,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "relu": relu,
    "leaky_relu": leaky_relu,
    "elu": elu,
    "softplus": softplus,
    "swish": swish,
}
"""Activations that act on each unit alone; the hidden activations an MLP accepts."""


def get(name: str):
    """Return the elementwise activation called ``name`` (see ``ELEMENTWISE``)."""
    return validate.lookup("activations.get", "activation", name, ELEMENTWISE)
