r"""Activation functions g(a) of the lectures, written to be stable for |a| up to 1e4.

Every function maps a pre-activation array ``a`` of any shape to an array of the same
shape, except ``maxout`` (which shrinks the last axis by ``pieces``). ``softmax`` and
``log_softmax`` normalise over the last axis. Hyperparameters are keyword-only.

Autodiff is exact everywhere, 0 included: branches are chosen with ``jnp.where`` on
inputs made safe for the branch not taken (never ``jnp.maximum``/``jnp.abs``/``jnp.max``,
whose derivatives split ties or pick a side arbitrarily). At the kinks, ``jax.grad``
gives the convention of the hand-derived ``reference.activations``:
relu'(0) = 0, leaky_relu'(0) = slope, elu'(0) = alpha (the left derivative, = 1 for
alpha = 1, where elu is smooth), and maxout routes the gradient to the first winning
piece on ties.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from fnn.util import validate

LEAKY_RELU_SLOPE = 0.1
"""Lecture default for the leaky ReLU slope (PyTorch and optax use 0.01)."""


def linear(a):
    """Identity, g(a) = a."""
    return a


def _split(a):
    """(a where a >= 0 else 0, a where a < 0 else 0): each branch sees only its own sign."""
    zero = jnp.zeros_like(a)
    return jnp.where(a >= 0, a, zero), jnp.where(a >= 0, zero, a)


def sigmoid(a):
    r"""Logistic sigmoid.

    Math:
        g(a) = 1 / (1 + exp(-a)) for a >= 0 and exp(a) / (1 + exp(a)) otherwise, each
        branch evaluated on its own sign only, so neither overflows; g'(a) = g (1 - g).
    """
    positive, negative = _split(a)
    e = jnp.exp(negative)
    return jnp.where(a >= 0, 1 / (1 + jnp.exp(-positive)), e / (1 + e))


def tanh(a):
    """Hyperbolic tangent, g(a) = (e^a - e^-a) / (e^a + e^-a)."""
    return jnp.tanh(a)


def relu(a):
    """Rectified linear unit, g(a) = max(0, a); convention g'(0) = 0 (autodiff gives it).

    NaN stays NaN (a broken input is never hidden as 0).
    """
    return jnp.where(a <= 0, jnp.zeros_like(a), a)


def leaky_relu(a, *, slope: float = LEAKY_RELU_SLOPE):
    """Leaky ReLU, g(a) = a for a > 0 and slope * a otherwise (lecture slope 0.1).

    Convention g'(0) = slope (the a <= 0 branch), which autodiff gives.
    """
    validate.number_in("leaky_relu", "slope", slope, 0.0, 1.0, high_open=True)
    return jnp.where(a > 0, a, slope * a)


def elu(a, *, alpha: float = 1.0):
    """Exponential linear unit, g(a) = a for a > 0 and alpha (e^a - 1) otherwise.

    g'(a) = 1 for a > 0, alpha e^a otherwise; convention g'(0) = alpha (a kink unless
    alpha = 1), which autodiff gives.
    """
    validate.number_in("elu", "alpha", alpha, 0.0, low_open=True)
    nonpositive = jnp.where(a > 0, jnp.zeros_like(a), a)
    return jnp.where(a > 0, a, alpha * jnp.expm1(nonpositive))


def softplus(a):
    r"""Softplus, g(a) = log(1 + e^a), with g'(a) = sigmoid(a).

    Math:
        g(a) = a + log1p(exp(-a)) for a >= 0 and log1p(exp(a)) otherwise, each branch
        evaluated on its own sign only (no overflow, exact autodiff at 0: g'(0) = 1/2).
    """
    positive, negative = _split(a)
    return jnp.where(a >= 0, positive + jnp.log1p(jnp.exp(-positive)), jnp.log1p(jnp.exp(negative)))


def swish(a, *, beta: float = 1.0):
    """Swish, g(a) = a * sigmoid(beta * a); beta = 1 is SiLU."""
    validate.number_in("swish", "beta", beta, 0.0)
    return a * sigmoid(beta * a)


def maxout(a, *, pieces: int):
    """Maxout over groups of ``pieces`` consecutive units of the last axis.

    Math:
        h_i = max_{j < k} a_{i k + j}, with k = pieces linear pieces per output unit.
        Written as a gather at the argmax, so autodiff routes dh_i to the first winning
        piece on ties (``jnp.max`` would split it), as ``reference.activations`` does.
    Shapes:
        a: (..., D * k) -> (..., D)
    """
    pieces = validate.integer("maxout", "pieces", pieces)
    width = a.shape[-1]
    if width % pieces:
        raise ValueError(
            f"maxout: expected the last dim of a to be a multiple of pieces={pieces}, "
            f"got a.shape={a.shape}"
        )
    groups = a.reshape(*a.shape[:-1], width // pieces, pieces)
    winner = jnp.argmax(groups, axis=-1, keepdims=True)
    return jnp.take_along_axis(groups, winner, axis=-1)[..., 0]


def _shifted(a):
    """a - max a over the last axis; the shift cancels, so no gradient flows through it."""
    return a - jax.lax.stop_gradient(jnp.max(a, axis=-1, keepdims=True))


def softmax(a):
    """Softmax over the last axis, s_k = exp(a_k - max a) / sum_j exp(a_j - max a)."""
    e = jnp.exp(_shifted(a))
    return e / jnp.sum(e, axis=-1, keepdims=True)


def log_softmax(a):
    """Log-softmax over the last axis, a_k - max a - log sum_j exp(a_j - max a)."""
    shifted = _shifted(a)
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
