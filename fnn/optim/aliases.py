r"""Named optimizers with their update equations.

Every optimizer returns updates u (to be added: theta <- theta + u, as ``optax.apply_updates``
does). ``learning_rate`` is a number or a schedule ``step -> lr`` evaluated at the
0-based step count. Hyperparameters given as Python numbers are range-checked; arrays
(as ``optax.inject_hyperparams`` passes them) are taken as they are.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from fnn import validate


class SGDState(NamedTuple):
    """Number of steps taken (for schedules)."""

    count: jax.Array


class AdamState(NamedTuple):
    """Step count t and the first and second moment estimates m, v."""

    count: jax.Array
    m: optax.Updates
    v: optax.Updates


def _rate(learning_rate, count):
    return learning_rate(count) if callable(learning_rate) else learning_rate


def _check_rate(where: str, learning_rate):
    validate.number_in(where, "learning_rate", learning_rate, 0.0)


def sgd(learning_rate) -> optax.GradientTransformation:
    r"""Minibatch stochastic gradient descent.

    Math:
        theta_{t+1} = theta_t - alpha_t g_t,  g_t the gradient of the minibatch loss.
    """
    _check_rate("sgd", learning_rate)

    def init(params):
        del params
        return SGDState(jnp.zeros((), jnp.int32))

    def update(grads, state, params=None):
        del params
        lr = _rate(learning_rate, state.count)
        updates = jax.tree.map(lambda g: -jnp.asarray(lr, g.dtype) * g, grads)
        return updates, SGDState(state.count + 1)

    return optax.GradientTransformation(init, update)


def adam(
    learning_rate=1e-3, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8
) -> optax.GradientTransformation:
    r"""Adam, Algorithm 1 of Kingma and Ba (2015), with bias correction.

    Math:
        t = t + 1
        m_t = b1 m_{t-1} + (1 - b1) g_t;      v_t = b2 v_{t-1} + (1 - b2) g_t^2
        mhat_t = m_t / (1 - b1^t);            vhat_t = v_t / (1 - b2^t)
        theta_t = theta_{t-1} - alpha mhat_t / (sqrt(vhat_t) + eps)
    Reference:
        Kingma and Ba, "Adam: a method for stochastic optimization", ICLR 2015. Same
        convention as ``optax.adam`` (eps outside the square root, moments start at 0).
    """
    _check_rate("adam", learning_rate)
    validate.number_in("adam", "b1", b1, 0.0, 1.0, high_open=True)
    validate.number_in("adam", "b2", b2, 0.0, 1.0, high_open=True)
    validate.number_in("adam", "eps", eps, 0.0, low_open=True)

    def init(params):
        zeros = jax.tree.map(jnp.zeros_like, params)
        return AdamState(jnp.zeros((), jnp.int32), zeros, zeros)

    def update(grads, state, params=None):
        del params
        count = state.count + 1
        lr = _rate(learning_rate, state.count)

        def moments(m, v, g):
            c = lambda x: jnp.asarray(x, g.dtype)  # noqa: E731 (hyperparameters in the leaf's dtype)
            m = c(b1) * m + (1 - c(b1)) * g
            v = c(b2) * v + (1 - c(b2)) * g * g
            t = count.astype(g.dtype)
            m_hat = m / (1 - c(b1) ** t)
            v_hat = v / (1 - c(b2) ** t)
            return -c(lr) * m_hat / (jnp.sqrt(v_hat) + c(eps)), m, v

        out = jax.tree.map(moments, state.m, state.v, grads)
        treedef = jax.tree.structure(grads)
        updates, m, v = (treedef.unflatten(part) for part in zip(*treedef.flatten_up_to(out)))
        return updates, AdamState(count, m, v)

    return optax.GradientTransformation(init, update)


BY_NAME = {"sgd": sgd, "adam": adam}


def get(name: str):
    """Return the optimizer factory called ``name`` (see ``BY_NAME``)."""
    return validate.lookup("optim.get", "optimizer", name, BY_NAME)
