"""Exploding and vanishing gradients in recurrent networks, made visible.

    python scripts/rnn_gradients.py                 # writes runs/rnn_gradients/*.png and results.json
    python scripts/rnn_gradients.py --length 30 --steps 300    # a quick look

Three experiments (the lecture's BPTT chapter):

1. ``gradient_norms.png``: ||dL/ds_t|| over the steps t of adding-problem sequences, for a
   loss on the last state only, L = <r, s_T> (r: a random direction at initialisation, the
   trained read-out weights after training). For a simple RNN, dL/ds_t is a product of T - t
   Jacobians diag(1 - s^2) W: with W scaled to a spectral radius below 1 it shrinks
   geometrically (vanishes), above 1 it grows while the units are not saturated (explodes).
   At initialisation (gates near 1/2) the GRU's and the LSTM's vanish too; trained on the
   adding problem their gates learn to hold the state (z -> 1, f -> 1), and the gradient
   reaches back to the first steps, while the trained simple RNN's still vanishes.
2. ``adding.png``: the adding problem (Hochreiter and Schmidhuber 1997). Each step carries a
   value in [0, 1] and a marker; the target is the sum of the two marked values, one in each
   half of the sequence. Predicting the mean, 1, has an MSE of 1/6; a network must carry a
   value across about T/2 steps to do better. The simple RNN stays near 1/6; GRU and LSTM learn.
3. ``clipping.png``: a simple RNN whose recurrent weights start at spectral radius 1.2, trained
   with SGD at 0.1 on a short adding problem (T = 10, which it can learn): without clipping a
   gradient explodes and the loss becomes NaN; clipping the global gradient norm to 1 keeps
   the same run stable, and it learns.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from fnn import optim, tasks, train
from fnn.layers import Dense, Sequential, gated, rnn
from fnn.models import recurrent
from fnn.objective import Objective
from fnn.plots import figures
from fnn.util import files

CELL_STEPS = {"rnn": rnn.cell, "gru": gated.gru_cell, "lstm": gated.lstm_cell}


@dataclasses.dataclass(frozen=True)
class Config:
    length: int = 100
    units: int = 32
    steps: int = 3000
    clip_length: int = 10
    clip_steps: int = 1500
    seed: int = 0
    out: str = "runs/rnn_gradients"


def adding_problem(key, n: int, length: int):
    """(X (n, T, 2), y (n,)): values U[0, 1] and a marker in one position of each half; y = sum of the marked values."""
    k_values, k_first, k_second = jax.random.split(key, 3)
    values = jax.random.uniform(k_values, (n, length), jnp.float32)
    first = jax.random.randint(k_first, (n,), 0, length // 2)
    second = jax.random.randint(k_second, (n,), length // 2, length)
    markers = jax.nn.one_hot(first, length, dtype=jnp.float32) + jax.nn.one_hot(second, length, dtype=jnp.float32)
    return jnp.stack([values, markers], axis=-1), jnp.sum(values * markers, axis=1)


def _carried(cell: str, params):
    """The carry's hidden part h and a function adding e to it (the LSTM carries (h, c))."""
    if cell == "lstm":
        return lambda carry: carry[0], lambda carry, e: (carry[0] + e, carry[1])
    return lambda carry: carry, lambda carry, e: carry + e


def state_gradient_norms(cell: str, params, X, r):
    """||dL/ds_t|| (averaged over the batch) for t = 1..T, L = sum_n <r, s_T>: the gradient on a
    zero perturbation e_t added to each step's state is the gradient on that state."""
    hidden, add = _carried(cell, params)
    N, H = X.shape[0], r.shape[0]
    zeros = jnp.zeros((N, H), X.dtype)
    init = (zeros, zeros) if cell == "lstm" else zeros

    def loss(E):
        def body(carry, inputs):
            x, e = inputs
            return add(CELL_STEPS[cell](params, carry, x), e), None

        last, _ = jax.lax.scan(body, init, (jnp.swapaxes(X, 0, 1), E))
        return jnp.sum(hidden(last) @ r)

    G = jax.grad(loss)(jnp.zeros((X.shape[1], N, H), X.dtype))
    return np.asarray(jnp.mean(jnp.linalg.norm(G, axis=-1), axis=1))


def gradient_norms(config: Config, key, trained: dict) -> dict:
    """Experiment 1: the norms over t at initialisation (simple RNNs at spectral radius 0.5, 1
    and 1.5, a GRU, an LSTM) and with the ``trained`` (cell -> (cell params, read-out r)) networks."""
    k_x, k_r, k_p = jax.random.split(key, 3)
    X, _ = adding_problem(k_x, 16, config.length)
    r = jax.random.normal(k_r, (config.units,), jnp.float32)
    at_init = {}
    for radius in (0.5, 1.0, 1.5):
        params = rnn.init(k_p, 2, config.units)
        at_init[f"simple RNN, radius {radius}"] = state_gradient_norms("rnn", params._replace(W=radius * params.W), X, r)
    at_init["GRU"] = state_gradient_norms("gru", gated.gru_init(k_p, 2, config.units), X, r)
    at_init["LSTM"] = state_gradient_norms("lstm", gated.lstm_init(k_p, 2, config.units), X, r)
    after = {cell: state_gradient_norms(cell, params, X, readout) for cell, (params, readout) in trained.items()}
    return {"at initialisation": at_init, "trained on the adding problem": after}


def train_adding(config: Config, cell: str, key, *, length: int, steps: int, optimizer, scale: float = 1.0):
    """Train cell(units) -> Dense(1) on the adding problem of ``length`` (epochs of 100 minibatches
    of 64); returns the loss and the gradient norm of every step, the MSE on 1000 new sequences,
    and the trained (cell params, read-out weights)."""
    k_data, k_test, k_init, k_fit = jax.random.split(key, 4)
    model = Sequential(recurrent.CELLS[cell](config.units, sequences=False), Dense(1, "glorot_uniform"))
    objective = Objective(model, tasks.Regression("mse"))
    _, params, _ = model.init(k_init, (length, 2), dtype=jnp.float32)
    params = (params[0]._replace(W=scale * params[0].W), params[1])
    epoch = train.make_train_epoch(objective, optimizer, batch_size=64, grad_norm=True)
    state, data = train.init_state(params, optimizer), adding_problem(k_data, 64 * 100, length)
    losses, norms = [], []
    for e in range(max(1, steps // 100)):
        state, metrics = epoch(state, data, jax.random.fold_in(k_fit, e))
        losses += np.asarray(metrics["loss"]).tolist()
        norms += np.asarray(metrics["grad_norm"]).tolist()
    test = float(objective(state.params, adding_problem(k_test, 1000, length)))
    cell_params, head = state.params
    return {"loss": losses, "grad_norm": norms, "test_mse": test, "trained": (cell_params, head.W[:, 0])}


def _finite(value):
    """A number for strict JSON: NaN and infinities become None."""
    return value if np.isfinite(value) else None


def main(config: Config) -> dict:
    key = jax.random.key(config.seed)
    out = Path(config.out)
    adding = {cell: train_adding(config, cell, jax.random.fold_in(key, i), length=config.length, steps=config.steps,
                                 optimizer=optim.adam(3e-3)) for i, cell in enumerate(recurrent.CELLS)}
    norms = gradient_norms(config, key, {cell: run["trained"] for cell, run in adding.items()})
    clipping = {label: train_adding(config, "rnn", jax.random.fold_in(key, 7), length=config.clip_length,
                                    steps=config.clip_steps, scale=1.2,
                                    optimizer=optim.injectable("sgd", learning_rate=0.1, clip_norm=clip))
                for label, clip in (("no clipping", None), ("clip_norm 1", 1.0))}
    results = {"config": dataclasses.asdict(config),
               "gradient_norm_at_steps_1_and_T": {panel: {k: [_finite(float(v[0])), _finite(float(v[-1]))]
                                                          for k, v in curves.items()} for panel, curves in norms.items()},
               "adding_test_mse": {cell: _finite(run["test_mse"]) for cell, run in adding.items()},
               "adding_mean_predictor_mse": 1 / 6,
               "clipping_test_mse": {label: _finite(run["test_mse"]) for label, run in clipping.items()},
               "clipping_largest_gradient_norm": {label: _finite(float(np.nanmax(run["grad_norm"])))
                                                  for label, run in clipping.items()}}
    written = [plot_norms(norms, out / "gradient_norms.png"),
               plot_runs(adding, out / "adding.png",
                         f"adding problem, T = {config.length}: training MSE (1/6 = predicting the mean)"),
               plot_runs(clipping, out / "clipping.png", f"adding problem, T = {config.clip_length}: simple RNN, "
                                                         "recurrent weights at spectral radius 1.2, SGD 0.1"),
               files.atomic_write_json(out / "results.json", results)]
    print(json.dumps({k: v for k, v in results.items() if k != "config"}, indent=1))
    print("wrote " + ", ".join(map(str, written)))
    return results


def _figure(columns: int):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(1, columns, figsize=(6 * columns, 4), squeeze=False)


def plot_norms(norms: dict, path) -> Path:
    """||dL/ds_t|| against t, log scale: one panel per set of networks, one line per network."""
    fig, axes = _figure(len(norms))
    for ax, (title, curves) in zip(axes[0], norms.items()):
        for label, values in curves.items():
            ax.plot(np.arange(1, len(values) + 1), values, label=label)
        ax.set_yscale("log")
        ax.set_xlabel("step t (the loss reads the last state only)")
        ax.set_ylabel("mean ||dL/ds_t||")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return figures.save(fig, path, dpi=110)


def plot_runs(runs: dict, path, title: str) -> Path:
    """Training loss (left) and gradient norm (right) of every step, one line per run."""
    fig, axes = _figure(2)
    loss_ax, norm_ax = axes[0]
    for label, run in runs.items():
        loss_ax.plot(run["loss"], label=f"{label} (test MSE {run['test_mse']:.3g})", linewidth=0.8)
        norm_ax.plot(run["grad_norm"], label=label, linewidth=0.8)
    loss_ax.axhline(1 / 6, color="gray", linestyle="--", linewidth=0.8)
    for ax, label in ((loss_ax, "training MSE"), (norm_ax, "global gradient norm (before clipping)")):
        ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return figures.save(fig, path, dpi=110)


def parse(argv=None) -> Config:
    import argparse

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for field in dataclasses.fields(Config):
        p.add_argument(f"--{field.name.replace('_', '-')}", type=type(field.default), default=field.default)
    return Config(**vars(p.parse_args(argv)))


if __name__ == "__main__":
    main(parse())
