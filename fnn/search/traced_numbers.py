r"""The numbers of a trial's objective that its group traces: the dropout rate and the penalty strength.

``Dropout.rate`` and ``Penalty.strength`` are fields of frozen specs, constants of a compiled
program. A search group keeps one program for all its trials: inside its vmapped epoch
(``fnn.search.trials.make_trials_epoch``) the group's template objective gets each trial's
numbers back as tracers (``placed``), so the trials differ only in data of the program:

    J_t(theta) = L(f(X; theta, rate_t), y) + lambda_t R(W),   one program for every trial t.

The values are checked when a trial's configuration is built (``fnn.run.configuration``); ``placed``
sets the fields without the specs' own checks, which cannot read a tracer.
"""

from __future__ import annotations

import copy

import jax.numpy as jnp

from fnn.layers import Dropout, Sequential
from fnn.layers.base import Wrapper, leaves

CANONICAL = {"dropout": 0.5, "strength": 1.0}
"""The values a group's template objective holds, so that groups differing only in these numbers
share one compiled program (the template is the program's cache key)."""


def names(objective) -> tuple[str, ...]:
    """The traced numbers ``objective`` holds: ``dropout`` with dropout layers, ``strength`` with a penalty."""
    has_dropout = any(isinstance(leaf, Dropout) for leaf in leaves(objective.model))
    return ("dropout",) * has_dropout + ("strength",) * (objective.penalty is not None)


def stacked(configs, traced: tuple[str, ...], dtype) -> dict:
    """The ``traced`` numbers (``names`` of the group's objective) of the trials ``configs`` (one
    group), each an array over the trials.

    The dropout rate keeps JAX's default float dtype, the one a Python rate takes in
    ``jax.random.bernoulli``, so that a trial draws the masks ``fit`` draws for it (exactly in
    float64; in float32, 1 - rate is rounded from the float32 rate, and a mask entry can differ
    where a uniform draw falls within one ulp of it). The strength takes the parameters'
    ``dtype``, the one a Python lambda takes beside them.
    """
    values = {"dropout": lambda config: config.dropout, "strength": lambda config: config.penalty_strength}
    dtypes = {"dropout": None, "strength": dtype}
    return {name: jnp.asarray([values[name](config) for config in configs], dtypes[name]) for name in traced}


def placed(objective, numbers: dict):
    """``objective`` with ``numbers["dropout"]`` as the rate of every ``Dropout`` layer and
    ``numbers["strength"]`` as its penalty's lambda (each only when given)."""
    model, penalty = objective.model, objective.penalty
    if "dropout" in numbers:
        model = _map_leaves(model, lambda layer: _with(layer, rate=numbers["dropout"])
                            if isinstance(layer, Dropout) else layer)
    if "strength" in numbers:
        penalty = _with(penalty, strength=numbers["strength"])
    return _with(objective, model=model, penalty=penalty)


def template(objective):
    """The group's template: ``objective`` with the ``CANONICAL`` value of each number it holds (``names``)."""
    return placed(objective, {name: CANONICAL[name] for name in names(objective)})


def _with(spec, **fields):
    """A copy of the frozen ``spec`` with ``fields`` set, its checks skipped (see the module)."""
    copied = copy.copy(spec)
    for name, value in fields.items():
        object.__setattr__(copied, name, value)
    return copied


def _map_leaves(layer, change):
    """The model with ``change`` applied to each leaf layer (combinators rebuilt around them)."""
    if isinstance(layer, Sequential):
        return _with(layer, layers=tuple(_map_leaves(inner, change) for inner in layer.layers))
    if isinstance(layer, Wrapper):
        return _with(layer, body=_map_leaves(layer.body, change))
    return change(layer)
