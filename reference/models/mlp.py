r"""The lecture's backpropagation algorithm for ``fnn.models.mlp``, written out.

Math (layers k = 1..L+1, A_0 = X, Z_k = A_{k-1} W_k + b_k, A_k = g(Z_k), logits Z_{L+1}):
    G = dJ/dZ_{L+1}                                   (the loss gradient, e.g. (s - y)/N)
    for k = L+1 down to 1:
        dW_k = A_{k-1}^T G + lambda dR/dW_k;  db_k = sum_n G_n
        G = G W_k^T                                   (gradient of the layer below, dJ/dA_{k-1})
        G = G * g'(Z_{k-1})                           (through the activation, for k > 1)

``value_and_grad(objective)`` packages it with the signature of
``jax.value_and_grad(objective)``, so ``fnn.train`` runs on hand-derived gradients.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from fnn import activations as fa
from fnn import losses as fl
from fnn.models import mlp as fm
from fnn.objective import Objective
from reference import activations as ra
from reference import losses as rl
from reference import regularizers as rr
from reference.layers import dense as rd


class LayerCache(NamedTuple):
    """Per layer k: the dense cache (A_{k-1}, W_k) and the pre-activation Z_k."""

    dense: rd.DenseCache
    Z: jax.Array


def forward(params: fm.MLPParams, X, *, config: fm.MLPConfig):
    """Forward pass to the logits, keeping one ``LayerCache`` per layer."""
    g = fa.get(config.activation)
    caches, A = [], X
    for k, layer in enumerate(params.dense):
        Z, cache = rd.forward(layer, A)
        caches.append(LayerCache(cache, Z))
        A = g(Z) if k < len(params.dense) - 1 else Z
    return A, caches


def backward(caches, dlogits, *, config: fm.MLPConfig) -> fm.MLPParams:
    """Backpropagate G = dJ/d(logits) through every layer; returns dJ/dparams (data term)."""
    g_prime = ra.derivative(config.activation)
    G, grads = dlogits, []
    for k in reversed(range(len(caches))):
        dlayer, G = rd.backward(caches[k].dense, G)
        grads.append(dlayer)
        if k > 0:
            G = G * g_prime(caches[k - 1].Z)
    return fm.MLPParams(tuple(reversed(grads)))


def penalty_grad(objective: Objective, params):
    """lambda dR/dW at the weights, zeros at the biases."""
    if objective.regularizer == "elastic_net":
        grad = rr.elastic_net_grad(params, beta=objective.beta)
    else:
        grad = rr.gradient(objective.regularizer)(params)
    return jax.tree.map(lambda leaf: objective.strength * leaf, grad)


def value_and_grad(objective: Objective):
    """Hand-derived drop-in for ``jax.value_and_grad(objective)`` on an MLP objective.

    Returns:
        ``(params, (X, y)) -> (J, dJ/dparams)``.
    Raises:
        TypeError: when ``objective`` is not an ``fnn.objective.Objective`` of an MLP.
    """
    if not isinstance(objective, Objective) or not isinstance(objective.model, fm.MLPConfig):
        raise TypeError(
            "reference.models.mlp.value_and_grad: expected an fnn.objective.Objective of an "
            f"MLPConfig, got {type(objective).__name__}; use jax.value_and_grad for other functions"
        )
    loss, loss_grad = fl.get(objective.loss), rl.gradient(objective.loss)

    def value_and_grad_fn(params, batch):
        X, y = batch
        y = objective.targets(y)
        logits, caches = forward(params, X, config=objective.model)
        grads = backward(caches, loss_grad(logits, y), config=objective.model)
        value = loss(logits, y) + objective.penalty(params)
        if objective.regularizer is not None:
            grads = jax.tree.map(jnp.add, grads, penalty_grad(objective, params))
        return value, grads

    return value_and_grad_fn
