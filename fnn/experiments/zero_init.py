r"""Zero initialisation: hidden units that start equal stay equal; random initialisation breaks the symmetry.

Math (hidden layer k, unit j): when every weight of the network starts at the same value c
(0 included) and b = 0, every unit of layer k computes the same a_j = g(sum_i a_i c), so
dJ/dW_k[:, j] = A_{k-1}^T dZ_k[:, j] is the same column for every j, and every update keeps the
columns equal: the layer acts as one unit however wide it is. With c = 0 and g(0) = 0 (tanh)
not even that unit moves: dA_L = dZ_{L+1} W_{L+1}^T = 0, so only the output biases learn.
Measured: spread_k = max_j max_i |[W_k; b_k][i, j] - [W_k; b_k][i, 1]|, the largest difference
between two units' incoming weights, after training.
Reference: the lecture's initialisation slides ("never initialise every weight to the same value").
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
from tqdm.auto import tqdm

from fnn import optim
from fnn.experiments import common
from fnn.models import mlp

STARTS = ("zeros", "constant", "random")
"""Every weight 0; every weight ``Config.constant``; Glorot uniform. Biases start at 0."""


@dataclasses.dataclass(frozen=True)
class Config:
    hidden: tuple = (64, 64)
    activation: str = "tanh"
    constant: float = 0.1
    epochs: int = 50
    learning_rate: float = 1e-3
    batch_size: int = 64
    seed: int = 0


SIZES = {"small": Config(hidden=(8, 8), epochs=3), "full": Config()}


def initial_params(model, start: str, *, key, constant: float):
    """Glorot-uniform parameters, with every weight matrix set to 0 ("zeros") or ``constant``."""
    params = model.init(key, (64,), dtype=common.DTYPE)[1]
    if start == "random":
        return params
    value = 0.0 if start == "zeros" else constant
    return jax.tree.map(lambda leaf, weight: jnp.full_like(leaf, value) if weight else leaf,
                        params, model.weight_mask(params))


def unit_spread(model, params) -> list[float]:
    """spread_k of every hidden dense layer: the largest difference between two units' incoming
    weights and bias (0 exactly when the layer's units are copies of one another)."""
    incoming = [jnp.concatenate([p.W, p.b[None]]) for p in common.hidden_dense(model, params)]
    return [float(jnp.max(jnp.abs(U - U[:, :1]))) for U in incoming]


def distinct_units(model, params) -> list[int]:
    """How many different units (columns of [W_k; b_k]) each hidden dense layer has."""
    return [int(np.unique(np.asarray(jnp.concatenate([p.W, p.b[None]])), axis=1).shape[1])
            for p in common.hidden_dense(model, params)]


def run(config: Config, out, *, progress: bool = False) -> dict:
    """Train the same MLP on digits from each start; measure the units' spread and the accuracy."""
    data = common.digits(config.seed)
    model = mlp.mlp(config.hidden, 10, activation=config.activation, initializer="glorot_uniform")
    key = jax.random.key(config.seed)
    runs = {}
    for start in tqdm(STARTS, desc="zero-init", disable=not progress):
        params = initial_params(model, start, key=key, constant=config.constant)
        objective, result = common.fit_classifier(model, data, optim.adam(config.learning_rate), epochs=config.epochs,
                                                  batch_size=config.batch_size, key=key, params=params)
        runs[start] = {"spread_at_start": unit_spread(model, params),
                       "spread": unit_spread(model, result.state.params),
                       "distinct_units": distinct_units(model, result.state.params),
                       "test_accuracy": common.scores(objective, result, data.test)["accuracy"],
                       "val_accuracy": [r["val_accuracy"] for r in result.history],
                       "first_layer": np.asarray(result.state.params[0].W)}
    summary = {f"{start} {what}": value for start, r in runs.items()
               for what, value in (("test accuracy", r["test_accuracy"]), ("largest spread", max(r["spread"])),
                                   ("distinct units", r["distinct_units"]))}
    numbers = {"summary": summary,
               "runs": {s: {k: v for k, v in r.items() if k != "first_layer"} for s, r in runs.items()}}
    return common.finish(out, config, numbers, {"zero_init": figure(runs, config)})


def figure(runs: dict, config: Config):
    """Validation accuracy per epoch of each start, and the trained first-layer weights of each."""
    fig, axes = common.subplots(1, 1 + len(runs), panel=(4.5, 4.0))
    curves = axes[0, 0]
    for start, r in runs.items():
        curves.plot(range(1, len(r["val_accuracy"]) + 1), r["val_accuracy"],
                    label=f"{start} (test acc {r['test_accuracy']:.3f})")
    curves.set(xlabel="epoch", ylabel="validation accuracy", title="digits, same MLP and Adam", ylim=(0, 1))
    curves.grid(alpha=0.3)
    curves.legend(fontsize=8)
    for ax, (start, r) in zip(axes[0, 1:], runs.items()):
        image = ax.imshow(r["first_layer"], aspect="auto", cmap="RdBu_r")
        fig.colorbar(image, ax=ax)
        ax.set(xlabel="hidden unit j", ylabel="input i", title=f"trained W_1, {start} start\n"
               f"(distinct units: {r['distinct_units'][0]} of {r['first_layer'].shape[1]})")
    fig.suptitle(f"Symmetry: MLP 64-{'-'.join(map(str, config.hidden))}-10 {config.activation}, "
                 f"constant start {config.constant:g}")
    fig.tight_layout()
    return fig
