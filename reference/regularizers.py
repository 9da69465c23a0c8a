r"""Gradients of the weight penalties: 2W (L2), sign(W) (L1), 2 beta W + sign(W) (elastic net).

Each returns a pytree shaped like ``params``: the penalty's gradient at every weight
matrix (where ``mask`` is True), zeros at every other leaf (biases are never penalised).
At W = 0 the L1 gradient is sign(0) = 0, the convention of ``fnn.regularizers``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from fnn import regularizers as fr
from fnn.util import validate


def _at_weights(params, mask, rule):
    return jax.tree.map(lambda leaf, is_weight: rule(leaf) if is_weight else jnp.zeros_like(leaf), params, mask)


def l1_grad(params, mask):
    """dR/dW = sign(W) (0 at the kink W = 0)."""
    return _at_weights(params, mask, jnp.sign)


def l2_grad(params, mask):
    """dR/dW = 2 W."""
    return _at_weights(params, mask, lambda W: 2 * W)


def elastic_net_grad(params, mask, *, beta: float = 1.0):
    """dR/dW = 2 beta W + sign(W)."""
    return _at_weights(params, mask, lambda W: 2 * beta * W + jnp.sign(W))


GRADIENTS = {"l1": l1_grad, "l2": l2_grad, "elastic_net": elastic_net_grad}


def gradient(name: str):
    """Return the hand-derived gradient of the penalty called ``name``."""
    return validate.lookup("reference.regularizers.gradient", "regularizer", name, GRADIENTS)


def penalty_grad(penalty: fr.Penalty, params, mask):
    """lambda dR/dW of an ``fnn.regularizers.Penalty`` at the weights, zeros elsewhere."""
    if penalty.name == "elastic_net":
        grad = elastic_net_grad(params, mask, beta=penalty.beta)
    else:
        grad = gradient(penalty.name)(params, mask)
    return jax.tree.map(lambda leaf: penalty.strength * leaf, grad)
