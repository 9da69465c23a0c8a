"""Build a named optimizer whose every numeric hyperparameter lives in its state.

``optax.inject_hyperparams`` moves numeric hyperparameters into the optimizer state,
so a training loop may change them (a plateau cutting the rate, a sweep) without
recompiling the jitted epoch. ``injectable`` extends that to the hyperparameters of a
learning-rate schedule (stored as ``schedule_<name>``) and of gradient clipping
(``clip_norm``): the whole optimizer is rebuilt from the state at every step.

Two optimizers that differ only in injected numbers share one ``update`` function, so the
epoch that ``fnn.train`` compiled for one is reused for the other (only ``init``, which
writes the numbers into the state, differs).
"""

from __future__ import annotations

import inspect

import jax.numpy as jnp
import optax

from fnn.optim import aliases, schedules
from fnn.optim.transforms import clip_by_global_norm, decoupled_weight_decay
from fnn.util.memo import get_or_build

SCHEDULE_PREFIX = "schedule_"


def hyperparameters(factory) -> dict:
    """Name -> default of a factory's hyperparameters (``inspect.Parameter.empty`` if none)."""
    return {name: p.default for name, p in inspect.signature(factory).parameters.items()}


def _check_names(where: str, given: dict, factory, *, exempt=()) -> None:
    """Every given name is a parameter of ``factory``; every parameter without a default is given."""
    accepted = hyperparameters(factory)
    unknown = sorted(set(given) - set(accepted))
    if unknown:
        raise ValueError(
            f"{where}: unknown hyperparameter {', '.join(unknown)}; it takes {', '.join(accepted)}"
        )
    missing = [k for k, v in accepted.items() if v is inspect.Parameter.empty and k not in given and k not in exempt]
    if missing:
        raise ValueError(f"{where}: missing hyperparameter {', '.join(missing)}")


def injectable(name: str, *, schedule: str | None = None, schedule_args: dict | None = None,
               clip_norm: float | None = None, weight_decay: float | None = None, weight_decay_mask=None,
               **hyper) -> optax.GradientTransformation:
    """The optimizer ``name`` with ``hyper``, optional schedule and clipping, all injected.

    Args:
        name: a key of ``fnn.optim.BY_NAME``.
        schedule: optional key of ``fnn.optim.schedules.BY_NAME``, used as learning_rate.
        schedule_args: the schedule's arguments.
        clip_norm: clip gradients to this global norm first (lecture pseudocode).
        weight_decay: decoupled weight decay lambda on the weight matrices, times the learning rate.
        weight_decay_mask: which leaves are weights (``model.weight_mask`` or a tree of bools);
            required with ``weight_decay``.
        hyper: the optimizer's hyperparameters (not ``learning_rate`` when a schedule is set).
    Returns:
        An ``optax.GradientTransformation`` whose state has ``.hyperparams`` (a dict).
    """
    factory = aliases.get(name)
    _check_names(f"optimizer {name}", hyper, factory)
    schedule_factory = schedules.get(schedule) if schedule is not None else None
    schedule_args = dict(schedule_args or {})
    if schedule_factory is not None:
        if "learning_rate" in hyper:
            raise ValueError(f"optimizer {name}: expected learning_rate or a schedule, got both")
        _check_names(f"schedule {schedule}", schedule_args, schedule_factory)
    elif schedule_args:
        raise ValueError(f"optimizer {name}: got schedule_args {schedule_args} without a schedule")

    def build(**kw):
        clip, decay = kw.pop("clip_norm", None), kw.pop("weight_decay", None)
        if schedule_factory is not None:
            kw["learning_rate"] = schedule_factory(
                **{k[len(SCHEDULE_PREFIX):]: kw.pop(k) for k in list(kw) if k.startswith(SCHEDULE_PREFIX)})
        parts = [factory(**kw)]
        if decay is not None:
            parts.append(decoupled_weight_decay(decay, kw.get("learning_rate", hyperparameters(factory)["learning_rate"]),
                                                mask=weight_decay_mask))
        if clip is not None:
            parts.insert(0, clip_by_global_norm(clip))
        return parts[0] if len(parts) == 1 else optax.chain(*parts)

    args = dict(hyper) | {SCHEDULE_PREFIX + k: v for k, v in schedule_args.items()} | {
        k: v for k, v in (("clip_norm", clip_norm), ("weight_decay", weight_decay)) if v is not None}
    build(**args)  # validate every hyperparameter now, while they are Python numbers
    build.__signature__ = inspect.Signature(  # inject_hyperparams reads the names from here
        [inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY) for k in args])
    static = tuple(k for k, v in args.items() if isinstance(v, (bool, str)))
    # Strongly typed scalars: optax keeps Python ints weakly typed, and a later strongly
    # typed replacement would then change the jitted step's signature and retrace it.
    injected = {k: v if k in static or not isinstance(v, (int, float)) else
                jnp.asarray(v, jnp.int32 if isinstance(v, int) else jnp.result_type(float)) for k, v in args.items()}
    optimizer = optax.inject_hyperparams(build, static_args=static)(**injected)
    numbers = {k for k, v in args.items() if k not in static and isinstance(v, (int, float))}
    if numbers != set(args) - set(static):  # an array or a callable among them: nothing to share safely
        return optimizer
    mask = None if weight_decay is None else _mask_key(weight_decay_mask)  # the mask is read only with decay
    shape = (name, schedule, mask, tuple((k, "number" if k in numbers else v) for k, v in args.items()))
    return optimizer._replace(update=get_or_build(_UPDATES, shape, lambda: optimizer.update))


def _mask_key(mask):
    """A weight mask as a memo key: a bound method (``model.weight_mask``) by its model's value,
    so equal models built twice share one update (bound methods compare their object by identity)."""
    owner = getattr(mask, "__self__", None)
    return (type(owner), mask.__func__, owner) if owner is not None else mask


_UPDATES: dict = {}
"""The shape of an optimizer (name, schedule, mask, hyperparameter names, static values) -> its update."""


def learning_rate_of(opt_state):
    """The injected learning rate of an optimizer state built by ``injectable`` (no schedule)."""
    hyper = getattr(opt_state, "hyperparams", None)
    if not isinstance(hyper, dict) or "learning_rate" not in hyper:
        raise ValueError(
            "learning_rate_of: expected the state of an fnn.optim.injectable optimizer without a "
            f"schedule (with hyperparams['learning_rate']), got {type(opt_state).__name__}"
        )
    return hyper["learning_rate"]


def with_learning_rate(opt_state, value):
    """A copy of ``opt_state`` with the injected learning rate set to ``value``.

    The new value keeps the stored dtype and is strongly typed, so the jitted step that
    receives the state does not retrace.
    """
    current = learning_rate_of(opt_state)
    return opt_state._replace(hyperparams={**opt_state.hyperparams, "learning_rate": jnp.array(value, current.dtype)})
