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

from pathlib import Path

import jax.numpy as jnp
import numpy as np

from fnn import files
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


PANELS = (
    ("grad_norm", r"gradient norm $\|\partial J / \partial W_k\|$", "log"),
    ("grad_std", r"gradient std $\mathrm{std}(\partial J / \partial W_k)$", "log"),
    ("update_ratio", r"update / weight ratio $\|\Delta W_k\| \,/\, \|W_k\|$", "log"),
    ("grad_mean", r"gradient mean $\mathrm{mean}(\partial J / \partial W_k)$", "linear"),
    ("act_mean", r"activation mean $\mathrm{mean}(A_k)$", "linear"),
    ("act_std", r"activation std $\mathrm{std}(A_k)$", "linear"),
)
"""(statistic, y label, y scale) of the panels of ``figure``, two per row."""


def figure(history: list[dict], *, title: str = ""):
    """The per-layer statistics over epochs: one panel per statistic, one line per layer.

    Weight statistics are labelled W1, W2, ... (the model's weight matrices in order),
    activation statistics A1, A2, ... (its hidden representations); a history without
    activation statistics gets no activation row.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [r["epoch"] for r in history]
    panels = [p for p in PANELS if f"{p[0]}_1" in history[0]]
    rows = len(panels) // 2  # the four weight statistics, then the two activation ones if recorded
    fig, axes = plt.subplots(rows, 2, figsize=(11, 3.2 * rows + 0.6), sharex=True, squeeze=False)
    for ax, (name, ylabel, scale) in zip(axes.ravel(), panels):
        symbol = "A" if name.startswith("act_") else "W"
        layers = sorted(int(key.rsplit("_", 1)[1]) for key in history[0] if key.rsplit("_", 1)[0] == name)
        for k in layers:
            ax.plot(epochs, [r[f"{name}_{k}"] for r in history], label=f"{symbol}{k}")
        if name == "update_ratio":
            ax.axhline(1e-3, color="grey", ls=":", lw=1, label="1e-3 (healthy)")
        ax.set_yscale(scale)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, title="hidden layer" if symbol == "A" else "weight matrix", title_fontsize=7)
    for ax in axes[-1]:
        ax.set_xlabel("epoch")
    fig.suptitle(title or "per-layer statistics")
    fig.tight_layout()
    return fig


def plot(history: list[dict], path, *, title: str = "") -> Path:
    """Draw ``figure(history, title=title)`` to the PNG ``path`` (atomically)."""
    return files.save_figure(figure(history, title=title), path, dpi=100)


def mean_over_steps(step_statistics: dict) -> dict:
    """Average the per-step statistics stacked by the scan, (steps, L) -> (L,)."""
    return {name: np.mean(np.asarray(values), axis=0) for name, values in step_statistics.items()}
