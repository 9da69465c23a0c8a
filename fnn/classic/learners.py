r"""Weak learners for gradient boosting: fit a weighted least-squares model to targets r.

A weak learner is a small frozen (hashable) spec with

    fit(key, X, r, w, hessian) -> params      minimise sum_n w_n (h(x_n) - r_n)^2 (approximately)
    predict(params, X) -> (N,)                 h(x_n)

``w`` is 1 on the rows in the bag and 0 on the others (subsampling). ``hessian`` is the
second derivative of the loss per row, given only to a learner that declares
``newton = True`` (it takes a Newton step in each region, as ``StumpLearner``); ``key`` is
None unless the learner declares ``needs_key = True``. Both default to False.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from fnn import optim
from fnn.classic import stumps
from fnn.models.mlp import mlp
from fnn.util import validate


@dataclasses.dataclass(frozen=True)
class StumpLearner:
    """A decision stump, ``stumps.fit_regression``: the depth-1 regression tree of boosting."""

    needs_key = False
    newton = True

    def fit(self, key, X, r, w, hessian=None):
        del key
        return stumps.fit_regression(X, r, w, hessian=hessian)

    def predict(self, params, X):
        return stumps.predict(params, X)


@dataclasses.dataclass(frozen=True)
class MLPLearner:
    r"""A small MLP (``fnn.models.mlp``, one output) fitted by Adam on the weighted squared error.

    Math:
        theta = argmin (approximately, ``steps`` full-batch ``fnn.optim.adam`` steps from a
        fresh Glorot initialisation drawn from ``key``) of
        sum_n w_n (f_theta(x_n) - r_n)^2 / sum_n w_n.
    Attributes:
        hidden: hidden widths; activation: their activation; steps, learning_rate: Adam's.
    """

    hidden: tuple = (8,)
    activation: str = "tanh"
    steps: int = 100
    learning_rate: float = 0.05

    needs_key = True
    newton = False

    def __post_init__(self):
        where = "MLPLearner"
        object.__setattr__(self, "hidden", tuple(validate.integer(where, "hidden widths", h) for h in self.hidden))
        object.__setattr__(self, "steps", validate.integer(where, "steps", self.steps))
        validate.number_in(where, "learning_rate", self.learning_rate, 0.0, low_open=True)

    def model(self):
        """The network, an ``fnn.layers.Sequential``."""
        return mlp(self.hidden, 1, activation=self.activation, initializer="glorot_normal")

    def fit(self, key, X, r, w, hessian=None):
        del hessian
        model = self.model()
        _, params, _ = model.init(key, X.shape[1:], dtype=X.dtype)
        optimizer = optim.adam(self.learning_rate)

        def loss(p):
            return jnp.sum(w * jnp.square(self.predict(p, X) - r)) / jnp.sum(w)

        def update(carry, _):
            p, state = carry
            updates, state = optimizer.update(jax.grad(loss)(p), state, p)
            return (jax.tree.map(jnp.add, p, updates), state), None

        return jax.lax.scan(update, (params, optimizer.init(params)), length=self.steps)[0][0]

    def predict(self, params, X):
        return self.model().apply(params, (), X, train=False)[0][:, 0]
