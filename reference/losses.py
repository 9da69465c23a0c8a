r"""Hand-derived gradients of every loss with respect to its input (the logits).

Each ``<loss>_grad(logits, targets)`` returns dL/da with the shape of the logits, for the
batch-mean losses of ``fnn.losses``. The fused results are the lecture's shortcuts; the
unfused route (dL/ds through the softmax or sigmoid) is kept to show that they agree.
"""

from __future__ import annotations

import jax.numpy as jnp

from fnn import activations as fa
from fnn import losses as fl
from fnn.util import validate
from reference import activations as ra


def _targets(logits, labels):
    return fl.one_hot("reference.losses", jnp.asarray(labels), logits.shape[-1], logits.dtype)


def softmax_cross_entropy_grad(logits, labels):
    r"""Fused softmax + cross-entropy: dL/da = (s - y) / N."""
    return (fa.softmax(logits) - _targets(logits, labels)) / logits.shape[0]


def binary_log_loss_grad(logits, labels):
    r"""Fused sigmoid + log-loss: dL/da = (sigma(a) - y) / N."""
    return (fa.sigmoid(logits) - jnp.asarray(labels, logits.dtype)) / logits.shape[0]


def mse_grad(predictions, targets):
    r"""dL/dyhat = 2 (yhat - y) / M, M = number of elements."""
    return 2 * (predictions - jnp.asarray(targets, predictions.dtype)) / predictions.size


def mae_grad(predictions, targets):
    r"""dL/dyhat = sign(yhat - y) / M; convention sign(0) = 0 at the kink yhat = y, as fnn's autodiff."""
    return jnp.sign(predictions - jnp.asarray(targets, predictions.dtype)) / predictions.size


def huber_grad(predictions, targets, *, delta: float = 1.0):
    r"""dL/dyhat = clip(r, -delta, delta) / M with r = yhat - y (continuous, also at |r| = delta)."""
    r = predictions - jnp.asarray(targets, predictions.dtype)
    return jnp.clip(r, -delta, delta) / predictions.size


def multiclass_hinge_grad(logits, labels):
    r"""dL/ds_j = [m_j > 0] / N for j != y, dL/ds_y = -sum_{j != y} [m_j > 0] / N.

    With margins m_j = s_j - s_y + 1; convention at the kink m_j = 0: inactive ([0 > 0] = 0),
    as fnn's autodiff.
    """
    y = _targets(logits, labels)
    true_score = jnp.sum(y * logits, axis=-1, keepdims=True)
    active = jnp.where(y > 0, jnp.zeros_like(logits), (logits - true_score + 1 > 0).astype(logits.dtype))
    return (active - y * jnp.sum(active, axis=-1, keepdims=True)) / logits.shape[0]


GRADIENTS = {
    "softmax_cross_entropy": softmax_cross_entropy_grad,
    "binary_log_loss": binary_log_loss_grad,
    "mse": mse_grad,
    "mae": mae_grad,
    "huber": huber_grad,
    "multiclass_hinge": multiclass_hinge_grad,
}


def gradient(name: str):
    """Return the hand-derived dL/d(logits) of the loss called ``name``."""
    return validate.lookup("reference.losses.gradient", "loss", name, GRADIENTS)


def cross_entropy_probability_grad(s, labels):
    r"""Cross-entropy as a function of the probabilities: dL/ds = -y / (N s)."""
    return -_targets(s, labels) / (s.shape[0] * s)


def softmax_cross_entropy_grad_unfused(logits, labels):
    r"""The long way: dL/da = J_softmax^T (dL/ds); equals (s - y) / N."""
    s = fa.softmax(logits)
    return ra.softmax_backward(ra.ActivationCache(logits, s), cross_entropy_probability_grad(s, labels))


def binary_log_loss_grad_unfused(logits, labels):
    r"""The long way: dL/da = dL/dsigma * sigma'(a), dL/dsigma = (sigma - y) / (N sigma (1 - sigma))."""
    sig = fa.sigmoid(logits)
    y = jnp.asarray(labels, logits.dtype)
    d_sigma = (sig - y) / (logits.shape[0] * sig * (1 - sig))
    return d_sigma * ra.sigmoid_derivative(logits)
