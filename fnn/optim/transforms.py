r"""Building blocks of the optimizers: leafwise updates, learning rates, clipping."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from fnn.util import validate


def rate(learning_rate, count):
    """The learning rate at 0-based step ``count``: a number, or a schedule evaluated there."""
    return learning_rate(count) if callable(learning_rate) else learning_rate


def check_rate(where: str, learning_rate) -> None:
    """A learning rate must be >= 0 (schedules and arrays are taken as they are)."""
    validate.number_in(where, "learning_rate", learning_rate, 0.0)


def state_dtype(dtype):
    """The dtype of an optimizer's arithmetic and state for a leaf of ``dtype``: at least float32.

    Half precision breaks the adaptive rules: in float16 Adam's eps = 1e-8 is 0 and g^2
    underflows for |g| < 2.4e-4 (then a step divides 0 by 0); in bfloat16 b2 = 0.999 is 1.
    """
    dtype = jnp.dtype(dtype)
    return dtype if jnp.finfo(dtype).bits >= 32 else jnp.dtype(jnp.float32)


def state_full(params, value=0.0):
    """A tree shaped like ``params`` filled with ``value``, in each leaf's ``state_dtype``."""
    return jax.tree.map(lambda p: jnp.full(jnp.shape(p), value, state_dtype(jnp.result_type(p))), params)


def leafwise(rule, grads, *states):
    """Apply ``rule(g, *state_leaves) -> (update, *new_state_leaves)`` to every leaf.

    The rule runs in the leaf's ``state_dtype`` (g is cast up, the update back to g's dtype).
    Returns ``(updates, *new_states)``, each a pytree shaped like ``grads``.
    """

    def at_state_precision(g, *state):
        update, *new_state = rule(g.astype(state_dtype(g.dtype)), *state)
        return (update.astype(g.dtype), *new_state)

    treedef = jax.tree.structure(grads)
    flat = [at_state_precision(g, *s) for g, *s in zip(treedef.flatten_up_to(grads),
                                                       *(treedef.flatten_up_to(s) for s in states))]
    return tuple(treedef.unflatten(list(part)) for part in zip(*flat)) if flat else (grads, *states)


def as_dtype(x, like):
    """A hyperparameter as an array of the leaf's dtype (no silent promotion of float32 leaves)."""
    return jnp.asarray(x, like.dtype)


def global_norm(tree):
    """||g|| = sqrt(sum over all leaves of sum g^2)."""
    return jnp.sqrt(sum(jnp.sum(jnp.square(leaf)) for leaf in jax.tree.leaves(tree)))


class ClipState(NamedTuple):
    """The global norm of the last gradient before clipping."""

    norm: jax.Array


def clip_by_global_norm(max_norm: float) -> optax.GradientTransformation:
    r"""Gradient clipping as in the lecture's pseudocode.

    Math:
        if ||g|| > v:  g <- v g / ||g||   (v = max_norm; ||.|| over all parameters).
    The state keeps the norm before clipping (the train step also reports it).
    """
    validate.number_in("clip_by_global_norm", "max_norm", max_norm, 0.0, low_open=True)

    def init(params):
        del params
        return ClipState(jnp.zeros(()))

    def update(grads, state, params=None):
        del params
        norm = global_norm(grads)
        limit = as_dtype(max_norm, norm)  # an injected float64 limit must not promote float32 gradients
        scale = jnp.where(norm > limit, limit / jnp.where(norm > 0, norm, 1.0), 1.0)
        return jax.tree.map(lambda g: as_dtype(scale, g) * g, grads), ClipState(norm.astype(state.norm.dtype))

    return optax.GradientTransformation(init, update)


class DecayState(NamedTuple):
    """Number of steps taken (for a scheduled learning rate)."""

    count: jax.Array


def decoupled_weight_decay(weight_decay: float, learning_rate, *, mask) -> optax.GradientTransformation:
    r"""Decoupled weight decay (Loshchilov and Hutter 2019), chained after an optimizer.

    Math:
        theta = theta + u - alpha_t lambda theta   for the weight matrices W (never biases),
        u the optimizer's update: the decay does not pass through Adam's 1/sqrt(v), unlike
        an L2 penalty lambda ||W||^2 in the loss. ``chain(adam(alpha), decoupled_weight_decay(lambda, alpha, mask=m))``
        is AdamW (equal to ``optax.adamw(..., mask=m)``).

    Args:
        mask: which leaves are weights: a tree of bools shaped like the params, or a
            function ``params -> tree`` such as ``model.weight_mask``. Required, so nothing
            is decayed (or left undecayed) by a guess.
    """
    validate.number_in("decoupled_weight_decay", "weight_decay", weight_decay, 0.0)
    check_rate("decoupled_weight_decay", learning_rate)
    if mask is None:
        raise ValueError("decoupled_weight_decay: expected a mask of the weights (a tree of bools or a function "
                         "such as model.weight_mask), got None")

    def init(params):
        del params
        return DecayState(jnp.zeros((), jnp.int32))

    def update(updates, state, params=None):
        if params is None:
            raise ValueError("decoupled_weight_decay: expected params in update, got None")
        lr = rate(learning_rate, state.count)
        weights = mask(params) if callable(mask) else mask
        decayed = jax.tree.map(lambda u, p, is_weight: u - as_dtype(lr, p) * as_dtype(weight_decay, p) * p if is_weight else u,
                               updates, params, weights)
        return decayed, DecayState(state.count + 1)

    return optax.GradientTransformation(init, update)
