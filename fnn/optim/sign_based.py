r"""Rprop, the sign-based full-batch method: per-weight step sizes that grow while the sign holds."""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
import optax

from fnn.optim.transforms import as_dtype, leafwise, state_full
from fnn.util import validate


class RpropState(NamedTuple):
    """Per-weight step sizes Delta and the previous gradient (0 after a sign change)."""

    step_size: optax.Updates
    previous: optax.Updates


def rprop(
    learning_rate=1e-3, eta_minus: float = 0.5, eta_plus: float = 1.2, min_step: float = 1e-6, max_step: float = 50.0
) -> optax.GradientTransformation:
    r"""iRprop- (Igel and Huesken 2000): sign-based steps with per-weight step sizes.

    Math:
        if g g_prev > 0:  Delta = min(eta+ Delta, Delta_max)
        if g g_prev < 0:  Delta = max(eta- Delta, Delta_min);  g = 0 (no step, forget g)
        theta = theta - sign(g) Delta;   g_prev = g        (Delta starts at learning_rate)
    Meant for full batches: minibatch noise flips signs at random.
    Differs from ``optax.rprop`` (0.2.8), which returns the previous step's update (0 at
    the first step, and 0 where the sign flips now) instead of this step's; it is checked
    against ``reference.optim.irprop_minus`` (Igel and Huesken 2000, Fig. 2) instead.
    """
    validate.number_in("rprop", "learning_rate", learning_rate, 0.0, low_open=True)
    validate.number_in("rprop", "eta_minus", eta_minus, 0.0, 1.0, low_open=True, high_open=True)
    validate.number_in("rprop", "eta_plus", eta_plus, 1.0, low_open=True)
    validate.number_in("rprop", "min_step", min_step, 0.0, low_open=True)
    validate.number_in("rprop", "max_step", max_step, 0.0, low_open=True)
    if isinstance(min_step, float) and isinstance(max_step, float) and max_step < min_step:
        raise ValueError(f"rprop: expected max_step >= min_step={min_step}, got {max_step}")

    def init(params):
        return RpropState(state_full(params, learning_rate), state_full(params))

    def update(grads, state, params=None):
        del params

        def rule(g, delta, g_prev):
            agree = g * g_prev
            grown = jnp.minimum(delta * as_dtype(eta_plus, g), as_dtype(max_step, g))
            shrunk = jnp.maximum(delta * as_dtype(eta_minus, g), as_dtype(min_step, g))
            delta = jnp.where(agree > 0, grown, jnp.where(agree < 0, shrunk, delta))
            g = jnp.where(agree < 0, jnp.zeros_like(g), g)
            return -jnp.sign(g) * delta, delta, g

        updates, step_size, previous = leafwise(rule, grads, state.step_size, state.previous)
        return updates, RpropState(step_size, previous)

    return optax.GradientTransformation(init, update)
