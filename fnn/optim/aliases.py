r"""Named optimizers, each written from its update equations.

Every optimizer returns updates u to be added, theta <- theta + u (``optax.apply_updates``).
``learning_rate`` is a number or a schedule ``t -> alpha`` evaluated at the 0-based step
t. Hyperparameters given as Python numbers are range-checked; arrays (as
``optax.inject_hyperparams`` passes them) are taken as they are. Each docstring states
how the optimizer maps onto optax's of the same name (the tests check it to 1e-12).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from fnn.optim.sign_based import rprop
from fnn.optim.transforms import as_dtype, check_rate, leafwise, rate, state_full
from fnn.util import validate


class SGDState(NamedTuple):
    """Number of steps taken (for schedules)."""

    count: jax.Array


class MomentumState(NamedTuple):
    """Step count and the velocity (accumulated gradients or accumulated steps)."""

    count: jax.Array
    velocity: optax.Updates


class AccumulatorState(NamedTuple):
    """Step count and the running sum or average of squared gradients r."""

    count: jax.Array
    r: optax.Updates


class AdadeltaState(NamedTuple):
    """Averages of squared gradients E[g^2] and of squared steps E[dx^2]."""

    count: jax.Array
    Eg2: optax.Updates
    Edx2: optax.Updates


class AdamState(NamedTuple):
    """Step count t and the moment estimates m (first) and v (second, or infinity norm u)."""

    count: jax.Array
    m: optax.Updates
    v: optax.Updates


def _count_and_zeros(trees: int):
    """init returning (count = 0, then ``trees`` pytrees of zeros shaped like params)."""

    def init(params):
        zeros = state_full(params)
        return (jnp.zeros((), jnp.int32), *(zeros,) * trees)

    return init


def _unit_interval(where: str, name: str, value) -> None:
    validate.number_in(where, name, value, 0.0, 1.0, high_open=True)


def _positive(where: str, name: str, value) -> None:
    validate.number_in(where, name, value, 0.0, low_open=True)


def _check_moments(where: str, learning_rate, b1, b2, eps) -> None:
    """The hyperparameters of the Adam family: rate >= 0, decays in [0, 1), eps > 0."""
    check_rate(where, learning_rate)
    _unit_interval(where, "b1", b1)
    _unit_interval(where, "b2", b2)
    _positive(where, "eps", eps)


def sgd(learning_rate=0.1) -> optax.GradientTransformation:
    r"""Minibatch stochastic gradient descent.

    Math:
        theta_{t+1} = theta_t - alpha_t g_t,  g_t the gradient of the minibatch loss.
        The 1/k step-size rule is ``sgd(schedules.harmonic(alpha))``: alpha_k = alpha / k.
    Equals ``optax.sgd(learning_rate)``. The default rate 0.1 is larger than the momentum
    methods' 0.01: plain SGD has no velocity to build up (on digits, 30 epochs of batch 64:
    0.925 test accuracy with 0.01, 0.969 with 0.1).
    """
    check_rate("sgd", learning_rate)

    def init(params):
        del params
        return SGDState(jnp.zeros((), jnp.int32))

    def update(grads, state, params=None):
        del params
        lr = rate(learning_rate, state.count)
        return leafwise(lambda g: (-as_dtype(lr, g) * g,), grads)[0], SGDState(state.count + 1)

    return optax.GradientTransformation(init, update)


MOMENTUM_FORMS = ("gradient", "step")


def momentum(learning_rate=0.01, rho: float = 0.9, form: str = "gradient") -> optax.GradientTransformation:
    r"""SGD with momentum, in either of the lecture's two forms.

    Math:
        form="gradient" (velocity accumulates gradients):  v = rho v + g;  theta = theta - alpha v
        form="step" (velocity accumulates steps):          m = rho m - alpha g;  theta = theta + m
        With a constant alpha the two are one method (m = -alpha v); with a schedule they
        differ: "gradient" rescales all past gradients by today's alpha.
    Equals ``optax.sgd(learning_rate, momentum=rho)`` in form "gradient" (optax's trace).
    """
    check_rate("momentum", learning_rate)
    _unit_interval("momentum", "rho", rho)
    validate.choice("momentum", "form", form, MOMENTUM_FORMS)

    def update(grads, state, params=None):
        del params
        lr = rate(learning_rate, state.count)

        def rule(g, v):
            if form == "gradient":
                v = as_dtype(rho, g) * v + g
                return -as_dtype(lr, g) * v, v
            m = as_dtype(rho, g) * v - as_dtype(lr, g) * g
            return m, m

        updates, velocity = leafwise(rule, grads, state.velocity)
        return updates, MomentumState(state.count + 1, velocity)

    return optax.GradientTransformation(lambda p: MomentumState(*_count_and_zeros(1)(p)), update)


def nesterov(learning_rate=0.01, rho: float = 0.9) -> optax.GradientTransformation:
    r"""Nesterov's accelerated gradient, the lecture's look-ahead form by change of variable.

    Math:
        Lecture:  v = rho v - alpha grad f(x + rho v);  x = x + v.
        The gradient is wanted at the look-ahead point, so the parameters this optimizer
        updates are xt = x + rho v, where the train step evaluates it. Then
            v' = rho v - alpha grad f(xt);   xt' = x' + rho v' = xt + v' + rho (v' - v),
        i.e. the update is u = (1 + rho) v' - rho v. With v = -alpha b this is PyTorch's
        and optax's form b' = rho b + g, u = -alpha (g + rho b').
    Equals ``optax.sgd(learning_rate, momentum=rho, nesterov=True)`` for a constant alpha.
    """
    check_rate("nesterov", learning_rate)
    _unit_interval("nesterov", "rho", rho)

    def update(grads, state, params=None):
        del params
        lr = rate(learning_rate, state.count)

        def rule(g, v):
            r = as_dtype(rho, g)
            v_new = r * v - as_dtype(lr, g) * g
            return (1 + r) * v_new - r * v, v_new

        updates, velocity = leafwise(rule, grads, state.velocity)
        return updates, MomentumState(state.count + 1, velocity)

    return optax.GradientTransformation(lambda p: MomentumState(*_count_and_zeros(1)(p)), update)


def _accumulator_init(initial: float):
    def init(params):
        return AccumulatorState(jnp.zeros((), jnp.int32), state_full(params, initial))

    return init


def _scaled_by_root(g, r, lr, eps, eps_in_sqrt: bool):
    denominator = jnp.sqrt(r + as_dtype(eps, g)) if eps_in_sqrt else jnp.sqrt(r) + as_dtype(eps, g)
    return -as_dtype(lr, g) * g / denominator


def adagrad(
    learning_rate=0.01, eps: float = 1e-7, initial_accumulator: float = 0.0, eps_in_sqrt: bool = False
) -> optax.GradientTransformation:
    r"""Adagrad (Duchi et al. 2011): per-weight rates shrinking with the gradients' history.

    Math:
        r = r + g^2;  theta = theta - alpha g / (delta + sqrt(r))   (delta = eps)
        The slides print g / (delta + r); the square root is the correct form and is
        what is implemented. ``eps_in_sqrt=True`` divides by sqrt(r + delta) instead.
    Equals ``optax.adagrad(learning_rate, initial_accumulator_value=a, eps=eps)`` with
    ``initial_accumulator=a > 0`` and ``eps_in_sqrt=True`` (optax starts r at 0.1).
    """
    check_rate("adagrad", learning_rate)
    _positive("adagrad", "eps", eps)
    validate.number_in("adagrad", "initial_accumulator", initial_accumulator, 0.0)

    def update(grads, state, params=None):
        del params
        lr = rate(learning_rate, state.count)

        def rule(g, r):
            r = r + g * g
            return _scaled_by_root(g, r, lr, eps, eps_in_sqrt), r

        updates, r = leafwise(rule, grads, state.r)
        return updates, AccumulatorState(state.count + 1, r)

    return optax.GradientTransformation(_accumulator_init(initial_accumulator), update)


def rmsprop(
    learning_rate=1e-3, decay: float = 0.9, eps: float = 1e-6, initial_accumulator: float = 0.0, eps_in_sqrt: bool = True
) -> optax.GradientTransformation:
    r"""RMSProp (Hinton 2012): Adagrad with a leaky average of squared gradients.

    Math:
        r = rho r + (1 - rho) g^2;  theta = theta - alpha g / sqrt(delta + r)   (rho = decay)
        The slides print g / (delta + r); the square root is the correct form and is
        what is implemented. ``eps_in_sqrt=False`` divides by delta + sqrt(r) (Keras).
    Equals ``optax.rmsprop(learning_rate, decay, eps, initial_scale=a, eps_in_sqrt=...)``.
    """
    check_rate("rmsprop", learning_rate)
    _unit_interval("rmsprop", "decay", decay)
    _positive("rmsprop", "eps", eps)
    validate.number_in("rmsprop", "initial_accumulator", initial_accumulator, 0.0)

    def update(grads, state, params=None):
        del params
        lr = rate(learning_rate, state.count)

        def rule(g, r):
            rho = as_dtype(decay, g)
            r = rho * r + (1 - rho) * g * g
            return _scaled_by_root(g, r, lr, eps, eps_in_sqrt), r

        updates, r = leafwise(rule, grads, state.r)
        return updates, AccumulatorState(state.count + 1, r)

    return optax.GradientTransformation(_accumulator_init(initial_accumulator), update)


def adadelta(learning_rate=1.0, rho: float = 0.95, eps: float = 1e-6) -> optax.GradientTransformation:
    r"""Adadelta (Zeiler 2012): steps in the units of the parameters, no global rate needed.

    Math:
        E[g^2] = rho E[g^2] + (1 - rho) g^2
        dx = -sqrt(E[dx^2] + eps) / sqrt(E[g^2] + eps) g;   theta = theta + alpha dx
        E[dx^2] = rho E[dx^2] + (1 - rho) dx^2          (alpha = 1 in the paper)
    Equals ``optax.adadelta(learning_rate, rho, eps)`` given an explicit learning rate;
    optax's default ``learning_rate=None`` skips the sign flip and climbs the loss.
    """
    check_rate("adadelta", learning_rate)
    _unit_interval("adadelta", "rho", rho)
    _positive("adadelta", "eps", eps)

    def update(grads, state, params=None):
        del params
        lr = rate(learning_rate, state.count)

        def rule(g, Eg2, Edx2):
            r, e = as_dtype(rho, g), as_dtype(eps, g)
            Eg2 = r * Eg2 + (1 - r) * g * g
            dx = -jnp.sqrt(Edx2 + e) / jnp.sqrt(Eg2 + e) * g
            return as_dtype(lr, g) * dx, Eg2, r * Edx2 + (1 - r) * dx * dx

        updates, Eg2, Edx2 = leafwise(rule, grads, state.Eg2, state.Edx2)
        return updates, AdadeltaState(state.count + 1, Eg2, Edx2)

    return optax.GradientTransformation(lambda p: AdadeltaState(*_count_and_zeros(2)(p)), update)


def adam(
    learning_rate=1e-3, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8, bias_correction: bool = True
) -> optax.GradientTransformation:
    r"""Adam, Algorithm 1 of Kingma and Ba (2015).

    Math:
        t = t + 1
        m = b1 m + (1 - b1) g;            v = b2 v + (1 - b2) g^2
        mhat = m / (1 - b1^t);            vhat = v / (1 - b2^t)
        theta = theta - alpha mhat / (sqrt(vhat) + eps)
        ``bias_correction=False`` is the slides' simplified form (mhat = m, vhat = v),
        which takes tiny first steps while m and v are still near their zero start.
        The paper's "efficient" form folds the corrections into the rate,
        alpha_t = alpha sqrt(1 - b2^t) / (1 - b1^t), theta = theta - alpha_t m / (sqrt(v) + epshat);
        it equals Algorithm 1 when epshat = eps sqrt(1 - b2^t) (tested in reference.optim).
    Equals ``optax.adam(learning_rate, b1, b2, eps)`` (eps outside the root, moments from 0).
    """
    _check_moments("adam", learning_rate, b1, b2, eps)

    def update(grads, state, params=None):
        del params
        count = state.count + 1
        lr = rate(learning_rate, state.count)

        def rule(g, m, v):
            beta1, beta2 = as_dtype(b1, g), as_dtype(b2, g)
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            m_hat, v_hat = m, v
            if bias_correction:
                t = count.astype(g.dtype)
                m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
            return -as_dtype(lr, g) * m_hat / (jnp.sqrt(v_hat) + as_dtype(eps, g)), m, v

        updates, m, v = leafwise(rule, grads, state.m, state.v)
        return updates, AdamState(count, m, v)

    return optax.GradientTransformation(lambda p: AdamState(*_count_and_zeros(2)(p)), update)


def adamax(learning_rate=2e-3, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8) -> optax.GradientTransformation:
    r"""AdaMax, Adam with the infinity norm (Kingma and Ba 2015, Algorithm 2).

    Math:
        m = b1 m + (1 - b1) g;   u = max(b2 u, |g| + eps);   theta = theta - alpha / (1 - b1^t) m / u
        (the paper has eps = 0; eps > 0 keeps u > 0 where a gradient has been exactly 0.)
    Equals ``optax.adamax(learning_rate, b1, b2, eps)``.
    """
    _check_moments("adamax", learning_rate, b1, b2, eps)

    def update(grads, state, params=None):
        del params
        count = state.count + 1
        lr = rate(learning_rate, state.count)

        def rule(g, m, u):
            beta1 = as_dtype(b1, g)
            m = beta1 * m + (1 - beta1) * g
            u = jnp.maximum(as_dtype(b2, g) * u, jnp.abs(g) + as_dtype(eps, g))
            return -as_dtype(lr, g) / (1 - beta1 ** count.astype(g.dtype)) * m / u, m, u

        updates, m, u = leafwise(rule, grads, state.m, state.v)
        return updates, AdamState(count, m, u)

    return optax.GradientTransformation(lambda p: AdamState(*_count_and_zeros(2)(p)), update)


BY_NAME = {
    "sgd": sgd,
    "momentum": momentum,
    "nesterov": nesterov,
    "adagrad": adagrad,
    "rmsprop": rmsprop,
    "adadelta": adadelta,
    "adam": adam,
    "adamax": adamax,
    "rprop": rprop,
}


def get(name: str):
    """Return the optimizer factory called ``name`` (see ``BY_NAME``)."""
    return validate.lookup("optim.get", "optimizer", name, BY_NAME)
