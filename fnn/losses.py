r"""Loss functions of the lectures: logits (never probabilities) in, batch mean out.

Every loss returns a scalar to be minimised: the mean over the batch (axis 0) of the
per-sample loss. For the regression losses (mse, mae, huber) the per-sample loss is the
mean over output units, so the result is the mean over all elements, as in PyTorch's
and scikit-learn's default. All are stable for logits of magnitude 1e4, and their autodiff
gradient is exact at 0 and follows the hand-derived ``reference.losses`` at the kinks
(mae: sign(0) = 0; multiclass_hinge: a margin of exactly 0 is inactive).

Class targets are integer labels of shape (N,) or one-hot (or soft) rows of shape (N, K).
"""

from __future__ import annotations

import jax.numpy as jnp

from fnn import activations
from fnn.util import validate


def one_hot(where: str, labels, num_classes: int, dtype):
    """Return (N, K) targets from integer labels (N,) or pass one-hot rows (N, K) through."""
    if jnp.issubdtype(labels.dtype, jnp.integer):
        validate.ndim(where, "integer labels", labels, 1)
        validate.labels(where, labels, num_classes)
        classes = jnp.arange(num_classes, dtype=labels.dtype)
        return (labels[:, None] == classes).astype(dtype)
    if labels.shape[-1:] != (num_classes,):
        raise ValueError(
            f"{where}: expected integer labels (N,) or one-hot labels (N, {num_classes}), "
            f"got labels.shape={labels.shape} with dtype {labels.dtype}"
        )
    return labels.astype(dtype)


def _class_inputs(where: str, logits, labels):
    labels = jnp.asarray(labels)
    validate.ndim(where, "logits", logits, 2, "logits are (N, K), one row of K class scores per sample")
    validate.floating(where, "logits", logits)
    if labels.shape[0] != logits.shape[0]:
        raise ValueError(
            f"{where}: expected as many labels as logits rows ({logits.shape[0]}), "
            f"got labels.shape={labels.shape}"
        )
    return one_hot(where, labels, logits.shape[1], logits.dtype)


def _same_shape(where: str, predictions, targets):
    targets = jnp.asarray(targets)
    validate.floating(where, "predictions", predictions)
    if predictions.shape != targets.shape:
        raise ValueError(
            f"{where}: expected targets of the same shape as predictions {predictions.shape}, "
            f"got targets.shape={targets.shape}"
        )
    return targets.astype(predictions.dtype)


def softmax_cross_entropy(logits, labels):
    r"""Softmax cross-entropy, batch mean.

    Math:
        L = -(1/N) sum_n sum_k y_nk log s_nk, s = softmax(a), with log s = log_softmax(a).
    Shapes:
        logits (N, K); labels (N,) integers or (N, K) one-hot / soft targets.
    """
    y = _class_inputs("softmax_cross_entropy", logits, labels)
    return (0.0 - jnp.sum(y * activations.log_softmax(logits))) / logits.shape[0]  # 0.0 - x: +0.0, never -0.0


def binary_log_loss(logits, labels):
    r"""Binary log-loss (logistic loss) from logits, batch mean.

    Math:
        L = -(1/N) sum_n [y log sigma(a) + (1 - y) log(1 - sigma(a))]
          = (1/N) sum_n [softplus(a) - a y],   dL/da = (sigma(a) - y) / N,
        with the stable ``activations.softplus`` (exact autodiff at a = 0).
    Shapes:
        logits (N,) or (N, 1), one score per sample; labels of the same shape with
        values in [0, 1].
    Raises:
        ValueError: logits of another shape, e.g. (N, K) with K > 1 (use
            softmax_cross_entropy for K classes).
    """
    if logits.ndim not in (1, 2) or logits.shape[1:] not in ((), (1,)):
        raise ValueError(
            f"binary_log_loss: expected (N,) or (N, 1) logits, one score per sample, got "
            f"logits.shape={logits.shape}; for K > 1 classes use softmax_cross_entropy"
        )
    y = _same_shape("binary_log_loss", logits, labels)
    return jnp.sum(activations.softplus(logits) - logits * y) / logits.shape[0]


def mse(predictions, targets):
    r"""Mean squared error over all elements, (1/(N K)) sum (yhat - y)^2."""
    y = _same_shape("mse", predictions, targets)
    return jnp.mean(jnp.square(predictions - y))


def mae(predictions, targets):
    r"""Mean absolute error over all elements, (1/(N K)) sum |yhat - y|.

    Math:
        |r| is written r sign(r), so autodiff gives dL/dyhat = sign(r) / (N K) with the
        convention sign(0) = 0 at the kink r = 0 (``jnp.abs`` would give 1 there).
    """
    r = predictions - _same_shape("mae", predictions, targets)
    return jnp.mean(r * jnp.sign(r))


def huber(predictions, targets, *, delta: float = 1.0):
    r"""Huber loss, mean over all elements.

    Math:
        r = yhat - y;  l(r) = r^2 / 2 if |r| <= delta else delta (|r| - delta / 2);
        l'(r) = clip(r, -delta, delta), continuous, so |r| = delta needs no convention.
    """
    validate.number_in("huber", "delta", delta, 0.0, low_open=True)
    r = predictions - _same_shape("huber", predictions, targets)
    abs_r = jnp.abs(r)
    return jnp.mean(jnp.where(abs_r <= delta, 0.5 * r * r, delta * (abs_r - 0.5 * delta)))


def multiclass_hinge(logits, labels):
    r"""Multiclass hinge (Weston-Watkins, the lecture's SVM loss), batch mean.

    Math:
        L = (1/N) sum_n sum_{j != y_n} max(0, m_nj),  m_nj = s_j - s_{y_n} + 1.
        (Crammer-Singer takes the max over j instead of the sum.) Convention at the kink
        m = 0: the term is inactive (subgradient 0, as relu'(0) = 0), which autodiff gives.
    Shapes:
        logits (N, K); labels (N,) integers or (N, K) one-hot.
    """
    y = _class_inputs("multiclass_hinge", logits, labels)
    true_score = jnp.sum(y * logits, axis=-1, keepdims=True)
    margins = activations.relu(logits - true_score + 1)
    return jnp.sum(jnp.where(y > 0, jnp.zeros_like(margins), margins)) / logits.shape[0]


BY_NAME = {
    "softmax_cross_entropy": softmax_cross_entropy,
    "binary_log_loss": binary_log_loss,
    "mse": mse,
    "mae": mae,
    "huber": huber,
    "multiclass_hinge": multiclass_hinge,
}

def get(name: str):
    """Return the loss called ``name`` (see ``BY_NAME``)."""
    return validate.lookup("losses.get", "loss", name, BY_NAME)
