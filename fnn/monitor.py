r"""Per-layer statistics of a training run, computed inside the jitted epoch.

Per weight matrix W_k (the leaves the model declares as weights), every step (cheap
reductions, averaged over the epoch):
    grad_mean_k, grad_std_k  mean and standard deviation of dJ/dW_k
    grad_norm_k              ||dJ/dW_k||
    update_ratio_k           ||Delta W_k|| / ||W_k||, the update-to-weight ratio (~1e-3 is healthy)
Per hidden representation k, once per epoch on its last minibatch (evaluation mode):
    act_mean_k, act_std_k    mean and standard deviation of the output A_k of the k-th
                             activation (or maxout, or residual block) of a Sequential model
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from fnn.layers import Activation, Maxout, Residual, Sequential
from fnn.layers.base import split_state
from fnn.regularizers import weights

WEIGHT_STATISTICS = ("grad_mean", "grad_std", "grad_norm", "update_ratio")
ACTIVATION_STATISTICS = ("act_mean", "act_std")


def weight_statistics(grads, updates, params, mask) -> dict:
    """Statistics of every weight matrix (True in ``mask``), each an array of one value per matrix.

    One pass of sums per matrix: mean = S1 / n, std = sqrt(S2 / n - mean^2), norm = sqrt(S2).
    """
    stats = {name: [] for name in WEIGHT_STATISTICS}
    for g, u, w in zip(weights(grads, mask), weights(updates, mask), weights(params, mask)):
        n = g.size
        s1, s2 = jnp.sum(g), jnp.sum(jnp.square(g))
        mean = s1 / n
        stats["grad_mean"].append(mean)
        stats["grad_std"].append(jnp.sqrt(jnp.maximum(s2 / n - jnp.square(mean), 0)))
        stats["grad_norm"].append(jnp.sqrt(s2))
        w_norm = jnp.sqrt(jnp.sum(jnp.square(w)))
        stats["update_ratio"].append(jnp.sqrt(jnp.sum(jnp.square(u))) / jnp.maximum(w_norm, jnp.finfo(w.dtype).tiny))
    return {name: jnp.stack(values) for name, values in stats.items()}


HIDDEN = (Activation, Maxout, Residual)
"""Layers whose outputs are the hidden representations A_k."""


def hidden_activations(model, params, model_state, X) -> list:
    """The evaluation-mode outputs of the top-level hidden layers (``HIDDEN``) of a Sequential."""
    if not isinstance(model, Sequential):
        return []
    _, states = split_state("monitor.hidden_activations", model_state, len(model.layers))
    hidden = []
    for layer, p, s in zip(model.layers, params, states):
        X, _ = layer.apply(p, s, X, train=False)
        if isinstance(layer, HIDDEN):
            hidden.append(X)
    return hidden


def activation_statistics(objective, params, model_state, X) -> dict:
    """Mean and standard deviation of every hidden representation on X."""
    hidden = hidden_activations(objective.model, params, model_state, X)
    if not hidden:
        return {}
    return {"act_mean": jnp.stack([jnp.mean(A) for A in hidden]), "act_std": jnp.stack([jnp.std(A) for A in hidden])}


def records(epoch_statistics: dict) -> dict[str, float]:
    """Flatten ``{"grad_norm": (L,), ...}`` into history entries ``grad_norm_1 .. grad_norm_L``."""
    return {f"{name}_{k + 1}": float(v) for name, values in epoch_statistics.items() for k, v in enumerate(values)}


def mean_over_steps(step_statistics: dict) -> dict:
    """Average the per-step statistics stacked by the scan, (steps, L) -> (L,)."""
    return {name: np.mean(np.asarray(values), axis=0) for name, values in step_statistics.items()}
