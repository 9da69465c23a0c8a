r"""Weight penalties R(W), summed over the weight matrices of a parameter pytree.

Only leaves named ``W`` (the weight field of ``DenseParams`` and of every later layer's
parameters, or a dict key ``"W"``) are penalised; biases, batch-norm scales and shifts never are. The objective
adds ``lambda * R(params)`` to the data loss.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from fnn import validate

WEIGHT_FIELD = "W"


def is_weight(path) -> bool:
    """True when a pytree key path ends at a field or dict key named ``W``."""
    last = path[-1] if path else None
    if isinstance(last, jax.tree_util.GetAttrKey):
        return last.name == WEIGHT_FIELD
    return isinstance(last, jax.tree_util.DictKey) and last.key == WEIGHT_FIELD


def weights(params) -> list:
    """Return the weight matrices of ``params``, in pytree order."""
    leaves = jax.tree_util.tree_flatten_with_path(params)[0]
    return [leaf for path, leaf in leaves if is_weight(path)]


def _total(params, penalty):
    terms = [jnp.sum(penalty(W)) for W in weights(params)]
    if not terms:
        raise ValueError(
            "regularizers: expected params with at least one weight field named 'W', "
            f"got a pytree with structure {jax.tree_util.tree_structure(params)}"
        )
    return sum(terms[1:], terms[0])


def l1(params):
    """L1 penalty, R(W) = sum_ij |W_ij| over all weight matrices."""
    return _total(params, jnp.abs)


def l2(params):
    """L2 penalty (weight decay in the loss), R(W) = sum_ij W_ij^2 over all weight matrices."""
    return _total(params, jnp.square)


def elastic_net(params, *, beta: float = 1.0):
    """Elastic net as in the lecture, R(W) = sum_ij (beta W_ij^2 + |W_ij|)."""
    validate.number_in("elastic_net", "beta", beta, 0.0)
    return _total(params, lambda W: beta * jnp.square(W) + jnp.abs(W))


BY_NAME = {"l1": l1, "l2": l2, "elastic_net": elastic_net}


def get(name: str):
    """Return the penalty called ``name`` (see ``BY_NAME``)."""
    return validate.lookup("regularizers.get", "regularizer", name, BY_NAME)
