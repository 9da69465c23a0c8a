r"""Learning-rate schedules: factories returning ``schedule(t) -> learning rate``.

``t`` is the 0-based number of optimizer steps taken (what optax passes). Every schedule
is written with jnp operations only, so its hyperparameters may be arrays: wrapped by
``fnn.optim.injectable`` they live in the optimizer state and can change without
recompiling. Python numbers are range-checked; arrays are taken as they are.
"""

from __future__ import annotations

import math

import jax.numpy as jnp

from fnn.util import validate


def _floats(step, *hyper):
    """The step and the hyperparameters as arrays of the default float dtype.

    Injected hyperparameters arrive as arrays of any dtype (float32, int); casting them
    with the step once keeps every schedule free of mixed-precision arithmetic.
    """
    dtype = jnp.result_type(float)
    return tuple(jnp.asarray(x).astype(dtype) for x in (step, *hyper))


def constant(init_value: float):
    """alpha_t = alpha."""
    validate.number_in("constant", "init_value", init_value, 0.0)
    return lambda step: _floats(step, init_value)[1]


def inverse_time(init_value: float, decay: float):
    """alpha_t = alpha / (1 + delta t)."""
    validate.number_in("inverse_time", "init_value", init_value, 0.0)
    validate.number_in("inverse_time", "decay", decay, 0.0)

    def schedule(step):
        t, alpha, delta = _floats(step, init_value, decay)
        return alpha / (1 + delta * t)

    return schedule


def harmonic(init_value: float):
    """The 1/k rule for SGD: alpha_k = alpha / k with k = t + 1 the 1-based step.

    Satisfies sum alpha_k = inf and sum alpha_k^2 < inf (Robbins-Monro).
    """
    validate.number_in("harmonic", "init_value", init_value, 0.0)

    def schedule(step):
        t, alpha = _floats(step, init_value)
        return alpha / (t + 1)

    return schedule


def power(init_value: float, exponent: float):
    """alpha_k = alpha / k^delta with k = t + 1 (delta = exponent; 1 gives the 1/k rule)."""
    validate.number_in("power", "init_value", init_value, 0.0)
    validate.number_in("power", "exponent", exponent, 0.0)

    def schedule(step):
        t, alpha, delta = _floats(step, init_value, exponent)
        return alpha / (t + 1) ** delta

    return schedule


def staircase(init_value: float, decay_rate: float, step_size: int):
    """Step decay, alpha_t = alpha gamma^floor(t / s) (gamma = decay_rate, s = step_size)."""
    validate.number_in("staircase", "init_value", init_value, 0.0)
    validate.number_in("staircase", "decay_rate", decay_rate, 0.0, 1.0, low_open=True)
    validate.number_in("staircase", "step_size", step_size, 0.0, low_open=True)

    def schedule(step):
        t, alpha, gamma, s = _floats(step, init_value, decay_rate, step_size)
        return alpha * gamma ** jnp.floor(t / s)

    return schedule


def exponential(init_value: float, decay_rate: float, step_size: int = 1):
    """Smooth exponential decay, alpha_t = alpha gamma^(t / s)."""
    validate.number_in("exponential", "init_value", init_value, 0.0)
    validate.number_in("exponential", "decay_rate", decay_rate, 0.0, 1.0, low_open=True)
    validate.number_in("exponential", "step_size", step_size, 0.0, low_open=True)

    def schedule(step):
        t, alpha, gamma, s = _floats(step, init_value, decay_rate, step_size)
        return alpha * gamma ** (t / s)

    return schedule


def linear_warmup(peak_value: float, warmup_steps: int, after=None):
    """Linear warm-up from 0 to ``peak_value`` over ``warmup_steps``, then ``after(t - warmup)``.

    Math:
        alpha_t = peak (t + 1) / W for t < W;  after(t - W) (or peak) from then on.
    """
    validate.number_in("linear_warmup", "peak_value", peak_value, 0.0)
    validate.number_in("linear_warmup", "warmup_steps", warmup_steps, 0.0, low_open=True)

    def schedule(step):
        t, peak, warmup = _floats(step, peak_value, warmup_steps)
        later = peak if after is None else after(jnp.maximum(t - warmup, 0))
        return jnp.where(t < warmup, peak * (t + 1) / warmup, later)

    return schedule


CYCLIC_MODES = ("triangular", "triangular2", "exp_range")


def cyclical(base_lr: float, max_lr: float, step_size: int, mode: str = "triangular", gamma: float = 1.0):
    r"""Cyclical learning rates (Smith 2015): a triangle between base_lr and max_lr.

    Math:
        cycle = floor(1 + t / (2 s));  x = |t / s - 2 cycle + 1|
        alpha_t = base + (max - base) max(0, 1 - x) scale,  with scale
        1 (triangular), 1 / 2^(cycle - 1) (triangular2), gamma^t (exp_range).
    Reference:
        L. N. Smith, "Cyclical learning rates for training neural networks", 2015/2017.
    """
    validate.number_in("cyclical", "base_lr", base_lr, 0.0)
    validate.number_in("cyclical", "max_lr", max_lr, 0.0)
    validate.number_in("cyclical", "step_size", step_size, 0.0, low_open=True)
    validate.number_in("cyclical", "gamma", gamma, 0.0, 1.0, low_open=True)
    validate.choice("cyclical", "mode", mode, CYCLIC_MODES)

    def schedule(step):
        t, base, peak, s, g = _floats(step, base_lr, max_lr, step_size, gamma)
        cycle = jnp.floor(1 + t / (2 * s))
        x = jnp.abs(t / s - 2 * cycle + 1)
        scale = {"triangular": jnp.ones_like(t), "triangular2": 0.5 ** (cycle - 1), "exp_range": g**t}[mode]
        return base + (peak - base) * jnp.maximum(0, 1 - x) * scale

    return schedule


def cosine_restarts(init_value: float, total_steps: int, cycles: int):
    r"""Cosine annealing with warm restarts, the snapshot-ensemble schedule.

    Math:
        alpha_t = alpha / 2 (cos(pi mod(t, ceil(T / M)) / ceil(T / M)) + 1)
        for T total steps and M cycles; each cycle ends near 0, where a snapshot is taken.
    Reference:
        Huang et al., "Snapshot ensembles: train 1, get M for free", ICLR 2017 (eq. 2,
        with the 0-based step t where the paper's t - 1 stands).
    """
    validate.number_in("cosine_restarts", "init_value", init_value, 0.0)
    validate.number_in("cosine_restarts", "total_steps", total_steps, 0.0, low_open=True)
    validate.number_in("cosine_restarts", "cycles", cycles, 0.0, low_open=True)

    def schedule(step):
        t, alpha, total, m = _floats(step, init_value, total_steps, cycles)
        period = jnp.ceil(total / m)
        return alpha / 2 * (jnp.cos(math.pi * jnp.mod(t, period) / period) + 1)

    return schedule


BY_NAME = {
    "constant": constant,
    "inverse_time": inverse_time,
    "harmonic": harmonic,
    "power": power,
    "staircase": staircase,
    "exponential": exponential,
    "linear_warmup": linear_warmup,
    "cyclical": cyclical,
    "cosine_restarts": cosine_restarts,
}


def get(name: str):
    """Return the schedule factory called ``name`` (see ``BY_NAME``)."""
    return validate.lookup("schedules.get", "schedule", name, BY_NAME)
