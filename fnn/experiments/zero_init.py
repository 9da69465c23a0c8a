r"""Zero initialisation: hidden units that start equal stay equal; random initialisation breaks the symmetry.

Math (hidden layer k, unit j): when every weight of the network starts at the same value c
(0 included) and b = 0, every unit of layer k computes the same a_j = g(sum_i a_i c), so
dJ/dW_k[:, j] = A_{k-1}^T dZ_k[:, j] is the same column for every j, and every update keeps the
columns equal: the layer acts as one unit however wide it is. With c = 0 and g(0) = 0 (tanh)
not even that unit moves: dA_L = dZ_{L+1} W_{L+1}^T = 0, so only the output biases learn
(exactly, on any machine: every product has a zero factor).
In floating point only rounding can tell equal units apart (a compiled kernel may sum one
unit's products in another order than its neighbour's), and equal units are a saddle, not a
valley: training amplifies such a difference. The "nudged" start (every weight c moved by at
most one ulp, at random) shows how far.
Measured: U_k = [W_k; b_k] (a column per unit); spread_k = max_{i,j} |U_k[i, j] - U_k[i, 1]| /
max_{i,j} |U_k[i, j]| (0 for U_k = 0), the largest difference between unit 1's incoming weights
and another unit's, relative to the layer's largest; units within ``TOLERANCE`` of one another
in that measure count as one (``distinct_units``), so a layer has one distinct unit exactly
when spread_k <= ``TOLERANCE``.
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

STARTS = ("zeros", "constant", "nudged", "random")
"""Every weight 0; every weight ``Config.constant``; the same moved by -1, 0 or +1 ulp at random;
Glorot uniform. Biases start at 0."""

TOLERANCE = 1e-2
"""Relative spread below which units count as one: far above float32 rounding (1e-7) and above
what the small run amplified a one-ulp nudge to on the CPU it was measured on (1e-3), far below
randomly initialised units' (~1)."""


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
    """Glorot-uniform parameters ("random"), or with every weight set to 0 ("zeros") or ``constant``
    ("constant"; "nudged": then each moved one ulp down, not at all or up, drawn from ``key``)."""
    params = model.init(key, (64,), dtype=common.DTYPE)[1]
    if start == "random":
        return params
    value = 0.0 if start == "zeros" else constant
    params = jax.tree.map(lambda leaf, weight: jnp.full_like(leaf, value) if weight else leaf,
                          params, model.weight_mask(params))
    if start != "nudged":
        return params
    leaves, tree = jax.tree.flatten(params)
    weights = jax.tree.leaves(model.weight_mask(params))
    keys = jax.random.split(jax.random.fold_in(key, 1), len(leaves))
    return jax.tree.unflatten(tree, [_nudge(leaf, k) if weight else leaf
                                     for leaf, weight, k in zip(leaves, weights, keys)])


def _nudge(W, key):
    """W with each entry moved down, kept or moved up by one ulp, uniformly at random."""
    step = jax.random.randint(key, W.shape, -1, 2)
    return jnp.where(step == 0, W, jnp.nextafter(W, jnp.where(step > 0, jnp.inf, -jnp.inf).astype(W.dtype)))


def _units(model, params) -> list[np.ndarray]:
    """U_k = [W_k; b_k] of every hidden dense layer, a column per unit."""
    return [np.asarray(jnp.concatenate([p.W, p.b[None]])) for p in common.hidden_dense(model, params)]


def unit_spread(model, params) -> list[float]:
    """spread_k of every hidden dense layer: the largest difference between unit 1's incoming weights
    and bias and another unit's, relative to the layer's largest |entry| (0 when the units are copies)."""
    spreads = []
    for U in _units(model, params):
        scale = float(np.max(np.abs(U)))
        spreads.append(float(np.max(np.abs(U - U[:, :1]))) / scale if scale else 0.0)
    return spreads


def distinct_units(model, params, tolerance: float = TOLERANCE) -> list[int]:
    """How many different units each hidden dense layer has: unit j is new unless its column of
    U_k is within ``tolerance`` x max |U_k| of an earlier new unit (1 exactly when spread_k <= tolerance)."""
    counts = []
    for U in _units(model, params):
        limit, kept = tolerance * np.max(np.abs(U)), []
        for column in U.T:
            if not any(np.max(np.abs(column - other)) <= limit for other in kept):
                kept.append(column)
        counts.append(len(kept))
    return counts


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
