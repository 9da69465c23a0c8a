r"""Dropout (Srivastava et al. 2014): zero each unit with probability ``rate`` while training.

Math (keep probability p = 1 - rate, mask r_j ~ Bernoulli(p)):
    inverted (default):  train y = r * x / p;   test y = x          -> E[train y] = x
    lecture form:        train y = r * x;       test y = p x        -> E[train y] = p x = test y
``rate`` is the probability of zeroing (as in PyTorch and Keras), not of keeping. A traced rate
(``fnn.search`` trains trials with different rates in one program) is not range-checked here,
and a rate of 0 then draws an all-ones mask; its 1 - rate and 1 / (1 - rate) are computed in
its own dtype, where a Python rate's are computed in double precision.
"""

from __future__ import annotations

import dataclasses
from numbers import Real

import jax
import jax.numpy as jnp

from fnn import activations
from fnn.layers.base import no_weights
from fnn.util import validate

FORMS = ("inverted", "lecture")


def check(rate: float, form: str) -> None:
    """Check the hyperparameters: ``rate`` a number in [0, 1) unless it is a tracer (see the module)."""
    validate.choice("dropout", "form", form, FORMS)
    if isinstance(rate, jax.core.Tracer):
        return
    if not isinstance(rate, Real) or isinstance(rate, bool):
        raise TypeError(f"dropout: expected rate to be a number in [0, 1), got {rate!r}")
    validate.number_in("dropout", "rate", rate, 0.0, 1.0, high_open=True)


def is_zero(rate) -> bool:
    """A rate given as the number 0: the layer is the identity (a traced 0 draws an all-ones mask)."""
    return isinstance(rate, Real) and rate == 0


def mask(key, shape, rate: float, dtype):
    """The Bernoulli(1 - rate) keep mask r, as 0/1 values of ``dtype``."""
    return jax.random.bernoulli(key, 1 - rate, shape).astype(dtype)


def train_scale(rate: float, form: str) -> float:
    """What the kept units are multiplied by in training: 1 / p (inverted) or 1 (lecture)."""
    return 1 / (1 - rate) if form == "inverted" else 1.0


def apply(X, *, rate: float, train: bool, key=None, form: str = "inverted"):
    """Dropout of X; ``key`` is required in training mode (with rate > 0)."""
    check(rate, form)
    if is_zero(rate):
        return X
    if not train:
        return X if form == "inverted" else jnp.asarray(1 - rate, X.dtype) * X
    if key is None:
        raise ValueError("dropout.apply: expected a PRNG key in training mode, got key=None")
    return X * mask(key, X.shape, rate, X.dtype) * jnp.asarray(train_scale(rate, form), X.dtype)


def monte_carlo(logits_fn, X, *, key, samples: int):
    r"""Monte-Carlo dropout prediction: mean of softmax(logits_fn(X, key_i)) over ``samples`` masks.

    ``logits_fn(X, key)`` runs the network in training mode with dropout keys from ``key``.
    """
    keys = jax.random.split(key, validate.integer("dropout.monte_carlo", "samples", samples))
    return jnp.mean(jax.vmap(lambda k: activations.softmax(logits_fn(X, k)))(keys), axis=0)


@dataclasses.dataclass(frozen=True)
class Dropout:
    """Layer spec: dropout with probability ``rate`` of zeroing, in ``form`` "inverted" or "lecture"."""

    rate: float
    form: str = "inverted"

    def __post_init__(self):
        check(self.rate, self.form)

    def init(self, key, in_shape, *, dtype):
        return tuple(in_shape), (), ()

    def apply(self, params, state, X, *, train, key=None):
        return apply(X, rate=self.rate, train=train, key=key, form=self.form), state

    weight_mask = staticmethod(no_weights)
