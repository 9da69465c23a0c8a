r"""The lecture's backpropagation, written once for any composition of ``fnn.layers``.

Every layer type registers a ``Rule`` in ``RULES``: its training-mode forward, which keeps
a cache, and its backward, which maps the upstream gradient dY to (dparams, dX):

    forward(layer, params, state, X, *, key) -> (Y, state, cache)
    backward(layer, cache, dY) -> (dparams, dX)

Math (the loop over a Sequential f_L o ... o f_1, A_0 = X):
    forward:   A_k = f_k(A_{k-1}), keeping cache_k               k = 1..L
    G = dJ/dA_L                                                  (the loss gradient, e.g. (s - y)/N)
    backward:  (dtheta_k, G) = backward_k(cache_k, G)            k = L..1
A ``Residual`` Y = X + body(X) adds the skip gradient: dX = dY + dX_body. An ``Unpooled``
Y = S_a^T body(S_a X) (max-pool, body, max-unpool at the switches a) reads dY at the
switches, sweeps the body, and routes its dX back to them: dX = S_a^T dX_body(S_a dY). A
``Bidirectional`` layer splits dY between its two directions (the backward one's put back in
its reversed time order) and adds their dX, reversing the backward one's again. Sequential
layer i draws its randomness from ``fold_in(key, i)``, as ``fnn.layers.Sequential`` does,
so both sides use the same dropout masks.

``value_and_grad(objective)`` has the contract of ``fnn.train.autodiff``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

from fnn import layers
from fnn.layers.base import Residual, Sequential, check_children, child_key, leaves, split_state
from fnn.objective import Objective
from reference import losses as rl
from reference import regularizers as rr
from reference.layers import activation as ract
from reference.layers import batchnorm as rbn
from reference.layers import conv as rconv
from reference.layers import dense as rd
from reference.layers import dropout as rdrop
from reference.layers import embedding as remb
from reference.layers import flatten as rflat
from reference.layers import gated as rgated
from reference.layers import pool as rpool
from reference.layers import rnn as rrnn


class Rule(NamedTuple):
    """A layer type's training-mode forward with cache and its hand-derived backward."""

    forward: Callable
    backward: Callable


RULES: dict[type, Rule] = {
    layers.Dense: Rule(rd.rule_forward, rd.rule_backward),
    layers.Activation: Rule(ract.activation_forward, ract.activation_backward),
    layers.Maxout: Rule(ract.maxout_forward, ract.maxout_backward),
    layers.BatchNorm: Rule(rbn.rule_forward, rbn.rule_backward),
    layers.Dropout: Rule(rdrop.rule_forward, rdrop.rule_backward),
    layers.Flatten: Rule(rflat.rule_forward, rflat.rule_backward),
    layers.MaxPool: Rule(rpool.maxpool_forward, rpool.maxpool_backward),
    layers.AvgPool: Rule(rpool.avgpool_forward, rpool.avgpool_backward),
    layers.GlobalAvgPool: Rule(rpool.global_forward, rpool.global_backward),
    layers.NearestUnpool: Rule(rpool.nearest_forward, rpool.nearest_backward),
    layers.Reshape: Rule(rflat.rule_forward, rflat.rule_backward),
    layers.Conv: Rule(rconv.rule_forward, rconv.rule_backward),
    layers.ConvTranspose: Rule(rconv.rule_forward, rconv.rule_backward),
    layers.SimpleRNN: Rule(rrnn.rule_forward, rrnn.rule_backward),
    layers.Embedding: Rule(remb.rule_forward, remb.rule_backward),
    layers.GRU: Rule(rgated.rule_forward, rgated.rule_backward),
    layers.LSTM: Rule(rgated.rule_forward, rgated.rule_backward),
}
"""The backward rule of every leaf layer type (combinators are handled by the sweep)."""


def check_rules(model) -> None:
    """Raise TypeError, before anything is traced, when a layer of ``model`` has no rule."""
    missing = sorted({type(leaf).__name__ for leaf in leaves(model) if type(leaf) not in RULES})
    if missing:
        raise TypeError(f"reference.backprop: no hand-derived backward rule for layer type(s) {', '.join(missing)}; "
                        "register a Rule in reference.backprop.RULES or use fnn.train.autodiff")


def forward(layer, params, state, X, *, key=None):
    """Training-mode forward through any composition; returns ``(Y, state, cache)``."""
    if isinstance(layer, Sequential):
        check_children("reference.backprop.forward", "params", params, len(layer.layers))
        stateless, states = split_state("reference.backprop.forward", state, len(layer.layers))
        new_states, caches = [], []
        for i, (child, p, s) in enumerate(zip(layer.layers, params, states)):
            X, s, cache = forward(child, p, s, X, key=child_key(key, i))
            new_states.append(s)
            caches.append(cache)
        return X, () if stateless else tuple(new_states), tuple(caches)
    if isinstance(layer, Residual):
        Y, state, cache = forward(layer.body, params, state, X, key=key)
        return X + Y, state, cache
    if isinstance(layer, layers.Bidirectional):
        Y_f, s_f, cache_f = forward(layer.body, params[0], state[0] if state else (), X, key=key)
        Y_b, s_b, cache_b = forward(layer.body, params[1], state[1] if state else (), X[:, ::-1], key=key)
        return layers.rnn.join(layer.body, Y_f, Y_b), (s_f, s_b), (cache_f, cache_b)
    if isinstance(layer, layers.Unpooled):
        P, switches = rpool.pool_forward(layer, X)
        Z, state, cache = forward(layer.body, params, state, P, key=key)
        return rpool.to_switches(layer, switches, Z), state, (switches, cache)
    return RULES[type(layer)].forward(layer, params, state, X, key=key)


def backward(layer, cache, dY):
    """The reverse sweep: ``(dparams, dX)`` for the upstream gradient ``dY``."""
    if isinstance(layer, Sequential):
        grads = []
        for child, child_cache in zip(reversed(layer.layers), reversed(cache)):
            dparams, dY = backward(child, child_cache, dY)
            grads.append(dparams)
        return tuple(reversed(grads)), dY
    if isinstance(layer, Residual):
        dparams, dX = backward(layer.body, cache, dY)
        return dparams, dY + dX
    if isinstance(layer, layers.Bidirectional):
        dY_f, dY_b = rrnn.split(layer.body, dY)
        dparams_f, dX_f = backward(layer.body, cache[0], dY_f)
        dparams_b, dX_b = backward(layer.body, cache[1], dY_b)
        return (dparams_f, dparams_b), dX_f + dX_b[:, ::-1]
    if isinstance(layer, layers.Unpooled):
        switches, body_cache = cache
        dparams, dP = backward(layer.body, body_cache, rpool.at_switches(layer, switches, dY))
        return dparams, rpool.to_switches(layer, switches, dP)
    return RULES[type(layer)].backward(layer, cache, dY)


def value_and_grad(objective: Objective):
    """Hand-derived drop-in for ``fnn.train.autodiff(objective)``, for any composed model.

    Returns:
        ``(params, model_state, (X, y), key) -> ((J, model_state), dJ/dparams)``: the
        forward sweep, the loss gradient of ``reference.losses``, the backward sweep, and
        lambda dR/dW of ``reference.regularizers`` at the weights the model declares.
    Raises:
        TypeError: when ``objective`` is not an ``fnn.objective.Objective``, or a layer has no rule.
        ValueError: for mixed precision (``compute_dtype``), which the rules do not follow.
    """
    if not isinstance(objective, Objective):
        raise TypeError("reference.backprop.value_and_grad: expected an fnn.objective.Objective, "
                        f"got {type(objective).__name__}; use fnn.train.autodiff for other functions")
    if objective.compute_dtype is not None:
        raise ValueError("reference.backprop.value_and_grad: expected an Objective without compute_dtype (the rules "
                         f"run in the parameters' dtype), got compute_dtype {jnp.dtype(objective.compute_dtype).name}")
    check_rules(objective.model)
    loss_grad = rl.gradient(objective.task.loss)

    def value_and_grad_fn(params, model_state, batch, key):
        X, y = batch
        outputs, model_state, cache = forward(objective.model, params, model_state, X, key=key)
        dY = loss_grad(objective.task.rows(outputs), objective.task.targets(y)).reshape(outputs.shape)
        grads, _ = backward(objective.model, cache, dY)
        value = objective.data_loss(outputs, y) + objective.penalty_value(params)
        if objective.penalty is not None:
            mask = objective.weight_mask(params)
            grads = jax.tree.map(jnp.add, grads, rr.penalty_grad(objective.penalty, params, mask))
        return (value, model_state), grads

    return value_and_grad_fn
