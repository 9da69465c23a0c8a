"""The checks of ``fnn.fit.fit``'s arguments and data, and the length of its run, each failure a
named error before anything compiles."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from fnn import tasks
from fnn.layers.base import check_params, initial_state
from fnn.objective import Objective
from fnn.util import validate


@jax.jit
def _count_not_finite(values):
    """The number of NaN and infinite entries, in one compiled program (op by op: three)."""
    return jnp.size(values) - jnp.sum(jnp.isfinite(values))


def _check_finite(name: str, what: str, values) -> None:
    if jnp.issubdtype(values.dtype, jnp.inexact):
        bad = int(_count_not_finite(values))
        if bad:
            raise ValueError(f"fit: expected finite {name} {what}, got {bad} NaN or infinite entries; "
                             "clean or impute the data first")


def _check_data(objective, params, model_state, sets):
    for name, (X, y) in sets.items():
        if X.shape[0] != y.shape[0]:
            raise ValueError(f"fit: expected as many {name} labels as samples, got X {X.shape} and y {y.shape}")
        _check_finite(name, "inputs X", X)
        _check_finite(name, "targets y", y)
        outputs = jax.eval_shape(objective.outputs, params, X, model_state)  # shape errors now, naming the set
        tasks.check_targets(f"fit ({name} set)", objective.task, y, outputs.shape[-1])


def check_arguments(objective, optimizer, key, switches: dict) -> None:
    """Refuse an objective, optimizer or key of the wrong kind, and a switch (name -> value) that is not a bool."""
    for name, value in switches.items():
        validate.boolean("fit", name, value)
    if not isinstance(objective, Objective):
        raise TypeError(f"fit: expected objective to be an fnn.objective.Objective, got {type(objective).__name__}")
    if not (callable(getattr(optimizer, "init", None)) and callable(getattr(optimizer, "update", None))):
        raise TypeError("fit: expected optimizer to be an optax.GradientTransformation (e.g. "
                        f"fnn.optim.injectable('adam') or optax.adam(1e-3)), got {optimizer!r}")
    typed = hasattr(key, "dtype") and jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key)
    raw = hasattr(key, "dtype") and key.dtype == jnp.uint32 and jnp.shape(key) == (2,)
    if not (typed or raw):
        raise TypeError(f"fit: expected key to be a PRNG key like jax.random.key(0), got {key!r}")


def data_and_state(objective, params, train, val, model_state):
    """The data sets as arrays, checked against the model, and the model's initial state."""
    sets = {name: tuple(map(jnp.asarray, data)) for name, data in (("train", train), ("val", val)) if data is not None}
    check_params("fit", objective.model, params, sets["train"][0].shape[1:])
    if model_state is None:
        model_state = initial_state(objective.model, sets["train"][0].shape[1:], dtype=jax.tree.leaves(params)[0].dtype)
    _check_data(objective, params, model_state, sets)
    return sets, model_state


def epochs_and_last_steps(epochs: int | None, steps: int | None, steps_per_epoch: int) -> tuple[int, int | None]:
    """The number of epochs to run, and the steps of the last one when ``steps`` cuts it short."""
    if (epochs is None) == (steps is None):
        raise ValueError(f"fit: expected exactly one of epochs and steps, got epochs={epochs!r}, steps={steps!r}")
    count, name = (epochs, "epochs") if steps is None else (steps, "steps")
    count = validate.integer("fit", name, count)
    epochs, steps = (count, None) if steps is None else (None, count)
    if steps is None:
        return epochs, None
    last = steps - (math.ceil(steps / steps_per_epoch) - 1) * steps_per_epoch
    return math.ceil(steps / steps_per_epoch), None if last == steps_per_epoch else last
