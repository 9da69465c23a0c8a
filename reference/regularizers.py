r"""Gradients of the weight penalties: 2W (L2), sign(W) (L1), 2 beta W + sign(W) (elastic net).

Each returns a pytree shaped like ``params``: the penalty's gradient at every weight
matrix, zeros at every other leaf (biases are never penalised).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from fnn import regularizers as fr
from fnn import validate


def _at_weights(params, rule):
    return jax.tree_util.tree_map_with_path(
        lambda path, leaf: rule(leaf) if fr.is_weight(path) else jnp.zeros_like(leaf), params
    )


def l1_grad(params):
    """dR/dW = sign(W) (0 at the kink W = 0)."""
    return _at_weights(params, jnp.sign)


def l2_grad(params):
    """dR/dW = 2 W."""
    return _at_weights(params, lambda W: 2 * W)


def elastic_net_grad(params, *, beta: float = 1.0):
    """dR/dW = 2 beta W + sign(W)."""
    return _at_weights(params, lambda W: 2 * beta * W + jnp.sign(W))


GRADIENTS = {"l1": l1_grad, "l2": l2_grad, "elastic_net": elastic_net_grad}


def gradient(name: str):
    """Return the hand-derived gradient of the penalty called ``name``."""
    return validate.lookup("reference.regularizers.gradient", "regularizer", name, GRADIENTS)
