r"""Universal approximation: one hidden layer of width k fitted to a 1-D function; the error falls as k grows.

Math: f_k(x) = sum_{j=1..k} v_j tanh(w_j x + b_j) + c. For any continuous f on a compact
interval and any eps > 0 there is a k with max_x |f_k(x) - f(x)| < eps (Cybenko 1989,
Hornik 1991): the theorem says the width suffices, not that training finds the weights.
Here f(x) = sin(3x) + 0.3 x^2 on [-2, 2]; each width is fitted to ``train_points`` random
points by full-batch L-BFGS on the MSE (``fnn.optim.second_order.lbfgs``) from ``restarts``
Glorot-normal starts (the lowest training MSE kept), and measured on a dense grid:
max |f_k - f| and RMSE.
Reference: the lecture's universal-approximation slide; Cybenko, "Approximation by
superpositions of a sigmoidal function", 1989.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree
from tqdm.auto import tqdm

from fnn import tasks
from fnn.experiments import common
from fnn.models import mlp
from fnn.objective import Objective
from fnn.optim import second_order

INTERVAL = (-2.0, 2.0)


def target(x):
    """f(x) = sin(3x) + 0.3 x^2."""
    return jnp.sin(3 * x) + 0.3 * x**2


@dataclasses.dataclass(frozen=True)
class Config:
    widths: tuple = (1, 2, 4, 8, 16, 32, 64)
    train_points: int = 256
    grid_points: int = 2001
    steps: int = 3000
    restarts: int = 3
    seed: int = 0


SIZES = {"small": Config(widths=(1, 2, 4, 8), steps=300, restarts=2), "full": Config()}


def network(width: int) -> Objective:
    """The 1-k-1 tanh network (Glorot-normal weights) and its MSE."""
    return Objective(mlp.mlp((width,), 1, activation="tanh", initializer="glorot_normal"), tasks.Regression("mse"))


def resize(params, like):
    """Every leaf of ``params`` cut or zero-padded to the shape of the matching leaf of ``like``."""
    def fit(leaf, other):
        leaf = leaf[tuple(slice(0, n) for n in other.shape)]
        return jnp.pad(leaf, [(0, n - m) for m, n in zip(leaf.shape, other.shape)])

    return jax.tree.map(fit, params, like)


def fit_widths(widths, X, y, *, steps: int, restarts: int, key, progress: bool = False) -> list:
    """(params, training MSE) of every width: the lowest-MSE point of ``restarts`` L-BFGS runs.

    Every start is zero-padded to the widest network, so one compiled (vmapped over the
    restarts) L-BFGS serves every width: a unit whose in- and out-weights and bias are 0
    outputs tanh(0) = 0 and gets zero gradients, so it stays 0 and the wide network is the
    width-k one throughout (up to the rounding of sums that include the zeros).
    """
    wide = network(max(widths))
    like = wide.model.init(key, (1,), dtype=common.DTYPE)[1]
    unravel = ravel_pytree(like)[1]
    mse = lambda theta: wide(unravel(theta), (X, y))  # noqa: E731
    solve = jax.jit(jax.vmap(lambda theta: second_order.lbfgs(mse, theta, steps=steps)))
    fits = []
    for k in tqdm(widths, desc="universal approximation", disable=not progress):
        narrow = network(k).model
        starts = [ravel_pytree(resize(narrow.init(r, (1,), dtype=common.DTYPE)[1], like))[0]
                  for r in jax.random.split(jax.random.fold_in(key, k), restarts)]
        paths = solve(jnp.stack(starts))
        values = jnp.where(jnp.isfinite(paths.values), paths.values, jnp.inf)
        run, step = np.unravel_index(int(jnp.argmin(values)), values.shape)
        fits.append((resize(unravel(paths.x[run, step]), narrow.init(key, (1,), dtype=common.DTYPE)[1]),
                     float(values[run, step])))
    return fits


def run(config: Config, out, *, progress: bool = False) -> dict:
    """Fit every width; measure the errors on the grid; draw the fits and the errors against k."""
    key = jax.random.key(config.seed)
    X = jax.random.uniform(key, (config.train_points, 1), common.DTYPE, *INTERVAL)
    grid = jnp.linspace(*INTERVAL, config.grid_points, dtype=common.DTYPE)[:, None]
    fits, errors = {}, {"train_mse": [], "max_abs_error": [], "rmse": []}
    results = fit_widths(config.widths, X, target(X[:, 0]), steps=config.steps, restarts=config.restarts, key=key,
                         progress=progress)
    for width, (params, train_mse) in zip(config.widths, results):
        fits[width] = np.asarray(network(width).outputs(params, grid)[:, 0])
        error = fits[width] - np.asarray(target(grid[:, 0]))
        for name, value in (("train_mse", train_mse), ("max_abs_error", np.max(np.abs(error))),
                            ("rmse", np.sqrt(np.mean(error**2)))):
            errors[name].append(float(value))
    summary = {f"k={k} {label}": errors[name][i] for i, k in enumerate(config.widths)
               for label, name in (("max abs error", "max_abs_error"), ("RMSE", "rmse"))}
    numbers = {"summary": summary, "widths": list(config.widths), "errors": errors}
    return common.finish(out, config, numbers, {"universal_approximation": figure(grid, fits, errors, config)})


def figure(grid, fits: dict, errors: dict, config: Config):
    """The target and every width's fit on the grid; max |error| and RMSE against k (log-log)."""
    fig, axes = common.subplots(1, 2, panel=(6.0, 4.2))
    curves, error = axes[0]
    x = np.asarray(grid[:, 0])
    curves.plot(x, np.asarray(target(grid[:, 0])), color="black", lw=2.5, label="f(x) = sin(3x) + 0.3 x^2")
    for width, fit in fits.items():
        curves.plot(x, fit, lw=1, label=f"k = {width}")
    curves.set(xlabel="x", ylabel="y", title="fits of one tanh hidden layer of width k")
    for name, label in (("max_abs_error", "max |f_k(x) - f(x)|"), ("rmse", "RMSE")):
        error.plot(config.widths, errors[name], "o-", label=label)
    error.plot(config.widths, np.sqrt(errors["train_mse"]), "x--", label="RMSE on the training points (fitted)")
    error.set(xlabel="hidden width k", ylabel="error on the dense grid", xscale="log", yscale="log",
              title=f"{config.grid_points} grid points; {config.train_points} training points")
    error.set_xticks(config.widths, [str(k) for k in config.widths])
    for ax in (curves, error):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"Universal approximation: L-BFGS {config.steps} steps, best of {config.restarts} starts")
    fig.tight_layout()
    return fig
