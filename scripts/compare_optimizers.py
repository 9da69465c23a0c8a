"""Compare the optimizers: trajectories on 2-D test functions, and digits training curves.

    python scripts/compare_optimizers.py                 # writes runs/compare_optimizers/*.png, results.json
    python scripts/compare_optimizers.py --steps 100 --epochs 10

Figure 1 (paths.png): every optimizer's path from one start point over the contours of an
ill-conditioned quadratic, Rosenbrock, Beale and a saddle, with Newton and L-BFGS for
reference; each panel's frame holds every path, and a path that runs off (the saddle is
unbounded below) is cut where it leaves the box widened by half its size, marked with a
cross and named in the legend. Figure 2 (digits.png): the training loss per epoch of every optimizer on the
digits MLP 64-128-128-10 (defaults of each optimizer, same seed and minibatch order).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from fnn import files, optim
from fnn.fit import fit
from fnn.data.prepare import prepare
from fnn.models import mlp
from fnn.objective import Objective
from fnn.optim import classic, landscapes

# Learning rates per test function (the functions' curvatures differ by orders of magnitude).
RATES = {
    "ill-conditioned quadratic": {"sgd": 0.09, "momentum": 0.02, "nesterov": 0.02, "adagrad": 1.0, "rmsprop": 0.05,
                                  "adadelta": 1.0, "adam": 0.2, "adamax": 0.3, "rprop": 0.05},
    "rosenbrock": {"sgd": 1e-3, "momentum": 2e-4, "nesterov": 2e-4, "adagrad": 0.5, "rmsprop": 0.01,
                   "adadelta": 1.0, "adam": 0.05, "adamax": 0.1, "rprop": 0.01},
    "beale": {"sgd": 0.01, "momentum": 2e-3, "nesterov": 2e-3, "adagrad": 0.5, "rmsprop": 0.01,
              "adadelta": 1.0, "adam": 0.05, "adamax": 0.05, "rprop": 0.01},
    "saddle": {"sgd": 0.05, "momentum": 0.01, "nesterov": 0.01, "adagrad": 0.5, "rmsprop": 0.01,
               "adadelta": 1.0, "adam": 0.05, "adamax": 0.05, "rprop": 0.01},
}


@dataclasses.dataclass(frozen=True)
class Config:
    steps: int = 1500
    epochs: int = 20
    seed: int = 0
    out: str = "runs/compare_optimizers"
    digits: bool = True


def paths(steps: int) -> dict:
    """name of function -> name of optimizer -> (steps + 1, 2) path."""
    result = {}
    for fname, (f, start, _) in landscapes.FUNCTIONS.items():
        x0 = jnp.asarray(start, jnp.float32)
        result[fname] = {
            name: np.asarray(landscapes.trajectory(optim.get(name)(learning_rate=RATES[fname][name]), f, x0, steps=steps))
            for name in optim.BY_NAME
        }
        if fname != "saddle":  # unbounded below: Newton jumps to the saddle point, L-BFGS's line search diverges
            result[fname]["newton"] = np.asarray(classic.newton(f, x0, steps=min(steps, 30), damping=1e-2).x)
            result[fname]["l-bfgs"] = np.asarray(classic.lbfgs(f, x0, steps=min(steps, 50)).x)
    return result


def digits_curves(epochs: int, seed: int) -> dict:
    """name of optimizer -> training loss per epoch on digits."""
    key = jax.random.key(seed)
    data = prepare("digits", key=key)
    objective = Objective(mlp.mlp((128, 128), 10))
    params = objective.model.init(jax.random.fold_in(key, 1), (64,), dtype=jnp.float32)[1]
    curves = {}
    for name in optim.BY_NAME:
        batch = len(data.train[1]) if name == "rprop" else 64  # Rprop is a full-batch method
        result = fit(objective, optim.get(name)(), params, data.train, val=data.val, epochs=epochs,
                           batch_size=batch, key=jax.random.fold_in(key, 2))
        curves[name] = {"train_loss": [r["train_loss"] for r in result.history],
                        "val_accuracy": result.history[-1]["val_accuracy"]}
    return curves


def cut(xs: np.ndarray, box, *, reach: float = 0.5) -> tuple[np.ndarray, int | None]:
    """The path ``xs`` up to its last point before it leaves the box widened by ``reach`` box
    sizes on each side (or stops being finite), and the step where it left (None if it stays)."""
    (x0, x1), (y0, y1) = box
    dx, dy = reach * (x1 - x0), reach * (y1 - y0)
    with np.errstate(invalid="ignore"):
        inside = (xs[:, 0] >= x0 - dx) & (xs[:, 0] <= x1 + dx) & (xs[:, 1] >= y0 - dy) & (xs[:, 1] <= y1 + dy)
    if inside.all():
        return xs, None
    step = int(np.argmin(inside))
    return xs[:step], step


def axis_limits(box, paths, *, margin: float = 0.04):
    """((x_min, x_max), (y_min, y_max)) holding the box and every point of ``paths``, each side
    widened by ``margin`` of the width."""
    points = np.concatenate([np.asarray(box).T, *paths])
    low, high = points.min(axis=0), points.max(axis=0)
    pad = margin * (high - low)
    return tuple(zip(low - pad, high + pad))


def draw_paths(ax, fname: str, by_optimizer: dict, colors) -> None:
    """One panel: the contours of ``fname`` and every path, cut where it leaves the plot (``cut``)."""
    f, start, box = landscapes.FUNCTIONS[fname]
    kept = {name: cut(xs, box) for name, xs in by_optimizer.items()}
    (x0, x1), (y0, y1) = axis_limits(box, [xs for xs, _ in kept.values()])
    X, Y = np.meshgrid(np.linspace(x0, x1, 300), np.linspace(y0, y1, 300))
    Z = np.asarray(jax.vmap(jax.vmap(f))(jnp.stack([X, Y], axis=-1)))
    levels = np.linspace(Z.min(), np.percentile(Z, 60), 25) if fname == "saddle" else np.logspace(
        np.log10(max(Z.min(), 1e-3)), np.log10(Z.max()), 25)
    ax.contour(X, Y, Z, levels=levels, cmap="Greys", linewidths=0.6)
    for (name, (xs, left)), color in zip(kept.items(), colors):
        label = name if left is None else f"{name} (leaves the plot at step {left})"
        ax.plot(xs[:, 0], xs[:, 1], "--" if name in ("newton", "l-bfgs") else "-", color=color, lw=1.4, label=label)
        if left is not None:
            ax.plot(*xs[-1], "x", color=color, ms=7)
    ax.plot(*start, "ko", ms=6, label="start")
    if landscapes.MINIMA[fname] is not None:
        ax.plot(*landscapes.MINIMA[fname], "r*", ms=14, label="minimum")
    ax.set(xlim=(x0, x1), ylim=(y0, y1), xlabel="parameter x", ylabel="parameter y", title=fname)
    ax.legend(loc="best", fontsize=7, ncol=2)


def paths_figure(all_paths: dict):
    """Figure 1: every test function's contours with every optimizer's path (``paths()``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(13, 11))
    colors = plt.get_cmap("tab20").colors[::2] + plt.get_cmap("tab20").colors[1::2]  # ten distinct hues first
    for ax, (fname, by_optimizer) in zip(axes.ravel(), all_paths.items()):
        draw_paths(ax, fname, by_optimizer, colors)
    fig.suptitle("Optimizer paths on 2-D test functions (a cross marks where a path leaves the plot)")
    fig.tight_layout()
    return fig


def plot_paths(all_paths: dict, path: Path) -> Path:
    """Draw ``paths_figure(all_paths)`` to the PNG ``path``."""
    return files.save_figure(paths_figure(all_paths), path, dpi=100)


def plot_digits(curves: dict, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, c in curves.items():
        ax.plot(range(1, len(c["train_loss"]) + 1), c["train_loss"], label=f"{name} (val acc {c['val_accuracy']:.3f})")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss (mean over the epoch)")
    ax.set_title("Digits MLP 64-128-128-10, each optimizer with its defaults")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return files.save_figure(fig, path, dpi=100)


def main(config: Config) -> dict:
    out = Path(config.out)
    all_paths = paths(config.steps)
    results = {"final_value": {fname: {name: float(landscapes.FUNCTIONS[fname][0](jnp.asarray(xs[-1])))
                                       for name, xs in by.items()} for fname, by in all_paths.items()}}
    results["paths_png"] = str(plot_paths(all_paths, out / "paths.png"))
    if config.digits:
        curves = digits_curves(config.epochs, config.seed)
        results["digits"] = curves
        results["digits_png"] = str(plot_digits(curves, out / "digits.png"))
    files.atomic_write_text(out / "results.json", json.dumps(results, indent=1))
    for fname, values in results["final_value"].items():
        print(f"{fname:<27} " + "  ".join(f"{name} {v:.2e}" for name, v in values.items()))
    if config.digits:
        for name, c in results["digits"].items():
            print(f"digits {name:<9} final train loss {c['train_loss'][-1]:.4f}  val accuracy {c['val_accuracy']:.4f}")
    print(f"wrote {results['paths_png']}" + (f", {results['digits_png']}" if config.digits else ""))
    return results


def parse(argv=None) -> Config:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=Config.steps)
    p.add_argument("--epochs", type=int, default=Config.epochs)
    p.add_argument("--seed", type=int, default=Config.seed)
    p.add_argument("--out", default=Config.out)
    p.add_argument("--no-digits", dest="digits", action="store_false")
    return Config(**vars(p.parse_args(argv)))


if __name__ == "__main__":
    main(parse())
