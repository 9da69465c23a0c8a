r"""Glorot and Bengio 2010: a 5-layer tanh network at initialisation, standard vs normalised initialisation.

Math (hidden layer k, Z_k = A_{k-1} W_k + b_k, A_k = tanh(Z_k), n_k units):
    standard    W ~ U[-1/sqrt(n_{k-1}), 1/sqrt(n_{k-1})]: Var W = 1 / (3 n_{k-1})
    normalised  W ~ U[-sqrt(6/(n_{k-1} + n_k)), +...]:    Var W = 2 / (n_{k-1} + n_k)
Near 0, tanh' = 1, so Var A_k ~ n_{k-1} Var W Var A_{k-1} forward and
Var dJ/dZ_{k-1} ~ n_k Var W Var dJ/dZ_k backward: with equal widths the standard rule shrinks
both by 1/3 per layer (activations towards the output, gradients towards the input), the
normalised one keeps both (the compromise n_{k-1} Var W = n_k Var W = 1).
Measured on a batch of standardised digits (loss: cross-entropy on their labels): the
histograms of A_k and of the back-propagated gradients dJ/dZ_k (per sample: the batch's sum),
the standard deviation of A_k, dJ/dZ_k and dJ/dW_k per layer, and the mean singular value of
the layer Jacobian J_k = dA_k/dA_{k-1} = diag(tanh'(Z_k)) W_k^T (averaged over samples).
Reference: Glorot and Bengio, "Understanding the difficulty of training deep feedforward
neural networks", AISTATS 2010 (Figures 6 and 7, section 4.2).
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np
from tqdm.auto import tqdm

from fnn.experiments import common
from fnn.models import mlp
from fnn.objective import Objective

INITIALIZERS = {"standard": "glorot_bengio_standard", "normalised": "glorot_uniform"}


@dataclasses.dataclass(frozen=True)
class Config:
    width: int = 256
    depth: int = 5
    batch: int = 500
    jacobian_samples: int = 64
    bins: int = 60
    seed: int = 0


SIZES = {"small": Config(width=32, batch=64, jacobian_samples=8), "full": Config()}


@functools.partial(jax.jit, static_argnums=0)
def layer_statistics(model, params, X, y) -> dict:
    """Activations A_k, per-sample back-propagated gradients dJ/dZ_k and the weight gradients dJ/dW_k
    of every hidden layer for the summed cross-entropy of the batch (the lecture's N J)."""
    objective = Objective(model)
    _, Z, _ = common.hidden_signals(model, params, X)
    shifts = [jnp.zeros_like(z) for z in Z]

    def summed_loss(shifts, params):
        logits, _, A = common.hidden_signals(model, params, X, shifts)
        return X.shape[0] * objective.data_loss(logits, y), A

    (dZ, dparams), A = jax.grad(summed_loss, argnums=(0, 1), has_aux=True)(shifts, params)
    return {"A": A, "dZ": dZ, "dW": [p.W for p in common.hidden_dense(model, dparams)]}


@functools.partial(jax.jit, static_argnums=0)
def jacobian_singular_values(model, params, X):
    """Mean singular value of J_k = dA_k / dA_{k-1} for each hidden layer k (an array), averaged over the rows of X."""
    pairs = [model.layers[i:i + 2] for i in range(0, len(model.layers) - 1, 2)]
    layer_params = [params[i:i + 2] for i in range(0, len(model.layers) - 1, 2)]
    means, inputs = [], X
    for (dense, activation), (p_dense, p_act) in zip(pairs, layer_params):
        def layer(a, dense=dense, activation=activation, p_dense=p_dense, p_act=p_act):
            z = dense.apply(p_dense, (), a[None], train=False)[0]
            return activation.apply(p_act, (), z, train=False)[0][0]

        J = jax.vmap(jax.jacfwd(layer))(inputs)
        means.append(jnp.mean(jnp.linalg.svd(J, compute_uv=False)))
        inputs = jax.vmap(layer)(inputs)
    return jnp.stack(means)


def measure(config: Config, name: str, data) -> dict:
    """Every statistic of one initialisation, at the start of training."""
    model = mlp.mlp((config.width,) * config.depth, 10, activation="tanh", initializer=INITIALIZERS[name])
    params = model.init(jax.random.key(config.seed), (64,), dtype=common.DTYPE)[1]
    X, y = data.train[0][:config.batch], data.train[1][:config.batch]
    stats = layer_statistics(model, params, X, y)
    std = lambda arrays: [float(jnp.std(a)) for a in arrays]  # noqa: E731
    flat = lambda arrays: [np.asarray(a).ravel() for a in arrays]  # noqa: E731
    return {"activation_std": std(stats["A"]),
            "saturated_fraction": [float(jnp.mean(jnp.abs(a) > 0.9)) for a in stats["A"]],
            "gradient_std": std(stats["dZ"]), "weight_gradient_std": std(stats["dW"]),
            "jacobian_mean_singular_value":
                jacobian_singular_values(model, params, X[:config.jacobian_samples]).tolist(),
            "values": {"A": flat(stats["A"]), "dZ": flat(stats["dZ"])}}


def run(config: Config, out, *, progress: bool = False) -> dict:
    """Measure both initialisations on one batch of digits; draw the histograms and the per-layer curves."""
    data = common.digits(config.seed)
    stats = {name: measure(config, name, data) for name in tqdm(INITIALIZERS, desc="glorot", disable=not progress)}
    summary = {f"{name} {what} by layer": [round(v, 4) for v in s[what]] for name, s in stats.items()
               for what in ("activation_std", "gradient_std", "weight_gradient_std", "jacobian_mean_singular_value")}
    numbers = {"summary": summary, "by_layer": {name: {k: v for k, v in s.items() if k != "values"}
                                                for name, s in stats.items()}}
    figures = {"histograms": histograms(stats, config), "by_layer": by_layer(stats, config)}
    return common.finish(out, config, numbers, figures)


def histograms(stats: dict, config: Config):
    """Rows: the initialisations; columns: activations A_k and gradients dJ/dZ_k, one line per layer."""
    fig, axes = common.subplots(len(stats), 2, panel=(6.0, 3.8))
    for row, (name, s) in zip(axes, stats.items()):
        for ax, what, label in ((row[0], "A", "activation value A_k"),
                                (row[1], "dZ", "back-propagated gradient dJ/dZ_k")):
            values = s["values"][what]
            reach = max(np.abs(v).max() for v in values) if what == "dZ" else 1.0
            edges = np.linspace(-reach, reach, config.bins + 1)
            for k, v in enumerate(values, 1):
                counts, _ = np.histogram(v, edges)
                ax.plot((edges[:-1] + edges[1:]) / 2, counts / v.size, label=f"layer {k}")
            ax.set(xlabel=label, ylabel="fraction of values", title=f"{name} initialisation ({INITIALIZERS[name]})")
            ax.set_yscale("log")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
    fig.suptitle(f"tanh MLP 64-{'-'.join([str(config.width)] * config.depth)}-10 at initialisation, "
                 f"{config.batch} digits")
    fig.tight_layout()
    return fig


def by_layer(stats: dict, config: Config):
    """Standard deviations of A_k, dJ/dZ_k and dJ/dW_k, and the Jacobians' mean singular value, by layer."""
    panels = (("activation_std", "std of A_k", "log"), ("gradient_std", "std of dJ/dZ_k", "log"),
              ("weight_gradient_std", "std of dJ/dW_k", "log"),
              ("jacobian_mean_singular_value", "mean singular value of dA_k/dA_(k-1)", "linear"))
    fig, axes = common.subplots(1, len(panels), panel=(4.2, 3.8))
    layers = np.arange(1, config.depth + 1)
    for ax, (what, label, scale) in zip(axes[0], panels):
        for name, s in stats.items():
            ax.plot(layers, s[what], "o-", label=name)
        ax.set(xlabel="hidden layer k (1: next to the input)", ylabel=label, yscale=scale, xticks=layers, title=label)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("Glorot and Bengio 2010: statistics by layer at initialisation")
    fig.tight_layout()
    return fig
