r"""The lecture's backpropagation algorithm for ``fnn.models.mlp``, written out.

Math (hidden layers k = 1..L, A_0 = X, Z_k = A_{k-1} W_k + b_k, A_k = g(Z_k), logits Z_{L+1};
with batch norm BN before or after g, and dropout D after it):
    G = dJ/dZ_{L+1}                                   (the loss gradient, e.g. (s - y)/N)
    for k = L+1 down to 1:
        dW_k = A_{k-1}^T G + lambda dR/dW_k;  db_k = sum_n G_n
        G = G W_k^T                                   (gradient of the layer below, dJ/dA_{k-1})
        for k > 1, back through layer k-1:  G = D'(G);  [BN' if after];  G = G * g'(Z_{k-1});  [BN' if before]

``value_and_grad(objective)`` packages it with the contract of ``fnn.train.autodiff``:
``(params, model_state, batch, key) -> ((J, model_state), grads)``, using the same dropout
masks and updating the same running statistics as the ``fnn`` forward.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from fnn import activations as fa
from fnn.layers import batchnorm as fb
from fnn.models import mlp as fm
from fnn.objective import Objective
from reference import activations as ra
from reference import losses as rl
from reference import regularizers as rr
from reference.layers import batchnorm as rb
from reference.layers import dense as rd
from reference.layers import dropout as rdrop


class LayerCache(NamedTuple):
    """Per layer k: dense cache (A_{k-1}, W_k), Z_k fed to g, batch-norm and dropout caches."""

    dense: rd.DenseCache
    Z: jax.Array | None = None
    norm: rb.BatchNormCache | None = None
    drop: rdrop.DropoutCache | None = None


def forward(params: fm.MLPParams, state: fm.MLPState, X, *, config: fm.MLPConfig, key=None):
    """Training-mode forward pass; returns ``(logits, caches, new_state)``."""
    g = fa.get(config.activation)
    caches, norms, A = [], [], X
    for k, layer in enumerate(params.dense[:-1]):
        Z, dense_cache = rd.forward(layer, A)
        norm = drop = None
        if config.batchnorm == "before":
            Z, norm = rb.forward(params.batchnorm[k], Z, eps=fm.BATCHNORM_EPS)
        A = g(Z)
        if config.batchnorm == "after":
            A, norm = rb.forward(params.batchnorm[k], A, eps=fm.BATCHNORM_EPS)
        if norm is not None:
            norms.append(fb.update_running(state.batchnorm[k], norm.mu, norm.var, X.shape[0],
                                           momentum=config.batchnorm_momentum, unbiased=config.unbiased_variance))
        if config.dropout > 0:
            A, drop = rdrop.forward(A, rate=config.dropout, key=jax.random.fold_in(key, k), form=config.dropout_form)
        caches.append(LayerCache(dense_cache, Z, norm, drop))
    logits, dense_cache = rd.forward(params.dense[-1], A)
    caches.append(LayerCache(dense_cache))
    return logits, caches, fm.MLPState(tuple(norms)) if config.batchnorm else state


def backward(caches, dlogits, *, config: fm.MLPConfig) -> fm.MLPParams:
    """Backpropagate G = dJ/d(logits) through every layer; returns dJ/dparams (data term)."""
    g_prime = ra.derivative(config.activation)
    G, dense_grads, norm_grads = dlogits, [], []
    for k in reversed(range(len(caches))):
        dlayer, G = rd.backward(caches[k].dense, G)
        dense_grads.append(dlayer)
        if k == 0:
            break
        below = caches[k - 1]
        if below.drop is not None:
            G = rdrop.backward(below.drop, G)
        if config.batchnorm == "after":
            dnorm, G = rb.backward(below.norm, G)
            norm_grads.append(dnorm)
        G = G * g_prime(below.Z)
        if config.batchnorm == "before":
            dnorm, G = rb.backward(below.norm, G)
            norm_grads.append(dnorm)
    return fm.MLPParams(tuple(reversed(dense_grads)), tuple(reversed(norm_grads)))


def penalty_grad(objective: Objective, params):
    """lambda dR/dW at the weights, zeros elsewhere."""
    if objective.regularizer == "elastic_net":
        grad = rr.elastic_net_grad(params, beta=objective.beta)
    else:
        grad = rr.gradient(objective.regularizer)(params)
    return jax.tree.map(lambda leaf: objective.strength * leaf, grad)


def value_and_grad(objective: Objective):
    """Hand-derived drop-in for ``fnn.train.autodiff(objective)`` on an MLP objective.

    Returns:
        ``(params, model_state, (X, y), key) -> ((J, model_state), dJ/dparams)``.
    Raises:
        TypeError: when ``objective`` is not an ``fnn.objective.Objective`` of an MLP.
    """
    if not isinstance(objective, Objective) or not isinstance(objective.model, fm.MLPConfig):
        raise TypeError(
            "reference.models.mlp.value_and_grad: expected an fnn.objective.Objective of an "
            f"MLPConfig, got {type(objective).__name__}; use fnn.train.autodiff for other functions"
        )
    loss_grad = rl.gradient(objective.loss)

    def value_and_grad_fn(params, model_state, batch, key):
        X, y = batch
        y = objective.targets(y)
        logits, caches, model_state = forward(params, model_state, X, config=objective.model, key=key)
        grads = backward(caches, loss_grad(logits, y), config=objective.model)
        value = objective.data_loss(logits, y) + objective.penalty(params)
        if objective.regularizer is not None:
            grads = jax.tree.map(jnp.add, grads, penalty_grad(objective, params))
        return (value, model_state), grads

    return value_and_grad_fn
