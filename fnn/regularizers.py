r"""Weight penalties R(W), summed over the weight matrices of a parameter pytree.

Which leaves are weights is declared by the model, never guessed from a name:
``mask = model.weight_mask(params)`` is a tree shaped like ``params`` with True at the
weight matrices (biases, batch-norm scales and shifts are never penalised). The objective
adds ``lambda * R(params, mask)`` to the data loss (``Penalty``).

Convention at the kink: |w| is written as w sign(w), so its derivative (autodiff and the
hand-derived ``reference.regularizers``) is sign(w), which is 0 at w = 0: the
minimum-norm subgradient.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from fnn.util import validate


def weights(params, mask) -> list:
    """The leaves of ``params`` where ``mask`` is True, in pytree order."""
    try:
        pairs = jax.tree.leaves(jax.tree.map(lambda p, m: (p,) if m else (), params, mask))
    except ValueError as error:
        raise ValueError(f"regularizers: expected a mask shaped like params (model.weight_mask(params)): {error}") from None
    return pairs


def _total(params, mask, penalty):
    terms = [jnp.sum(penalty(W)) for W in weights(params, mask)]
    if not terms:
        raise ValueError(
            "regularizers: expected a mask with at least one weight matrix (True leaf), "
            f"got none in a pytree with structure {jax.tree_util.tree_structure(params)}"
        )
    return sum(terms[1:], terms[0])


def absolute(W):
    """|W| as W sign(W): the same values, and derivative sign(W) (0 at W = 0)."""
    return W * jnp.sign(W)


def l1(params, mask):
    """L1 penalty, R(W) = sum_ij |W_ij| over all weight matrices."""
    return _total(params, mask, absolute)


def l2(params, mask):
    """L2 penalty (weight decay in the loss), R(W) = sum_ij W_ij^2 over all weight matrices."""
    return _total(params, mask, jnp.square)


def elastic_net(params, mask, *, beta: float = 1.0):
    """Elastic net as in the lecture, R(W) = sum_ij (beta W_ij^2 + |W_ij|)."""
    validate.number_in("elastic_net", "beta", beta, 0.0)
    return _total(params, mask, lambda W: beta * jnp.square(W) + absolute(W))


BY_NAME = {"l1": l1, "l2": l2, "elastic_net": elastic_net}


def get(name: str):
    """Return the penalty called ``name`` (see ``BY_NAME``)."""
    return validate.lookup("regularizers.get", "regularizer", name, BY_NAME)


@dataclasses.dataclass(frozen=True)
class Penalty:
    """The weighted penalty lambda R(W) of an objective.

    Attributes:
        name: a key of ``BY_NAME``.
        strength: lambda >= 0.
        beta: the elastic net's weight on the squared term (ignored by l1 and l2).
    """

    name: str
    strength: float
    beta: float = 1.0

    def __post_init__(self):
        get(self.name)
        validate.number_in("Penalty", "strength", self.strength, 0.0)
        validate.number_in("Penalty", "beta", self.beta, 0.0)

    def __call__(self, params, mask):
        """lambda R(params), over the leaves where ``mask`` is True."""
        if self.name == "elastic_net":
            return self.strength * elastic_net(params, mask, beta=self.beta)
        return self.strength * get(self.name)(params, mask)
