"""Compare the optimizers: trajectories on 2-D test functions, and digits training curves.

    python scripts/compare_optimizers.py                 # writes runs/compare_optimizers/*.png, results.json
    python scripts/compare_optimizers.py --steps 100 --epochs 10

Figure 1 (paths.png): every optimizer's path from one start point over the contours of an
ill-conditioned quadratic, Rosenbrock, Beale and a saddle, with Newton and L-BFGS for
reference. Figure 2 (digits.png): the training loss per epoch of every optimizer on the
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


def plot_paths(all_paths: dict, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(13, 10.5))
    colors = plt.get_cmap("tab20").colors
    for ax, (fname, by_optimizer) in zip(axes.ravel(), all_paths.items()):
        f, start, ((x0, x1), (y0, y1)) = landscapes.FUNCTIONS[fname]
        X, Y = np.meshgrid(np.linspace(x0, x1, 300), np.linspace(y0, y1, 300))
        Z = np.asarray(jax.vmap(jax.vmap(f))(jnp.stack([X, Y], axis=-1)))
        levels = np.linspace(Z.min(), np.percentile(Z, 60), 25) if fname == "saddle" else np.logspace(
            np.log10(max(Z.min(), 1e-3)), np.log10(Z.max()), 25)
        ax.contour(X, Y, Z, levels=levels, cmap="Greys", linewidths=0.6)
        for (name, xs), color in zip(by_optimizer.items(), colors):
            style = "--" if name in ("newton", "l-bfgs") else "-"
            ax.plot(xs[:, 0], xs[:, 1], style, color=color, lw=1.4, label=name)
        ax.plot(*start, "ko", ms=6)
        if landscapes.MINIMA[fname] is not None:
            ax.plot(*landscapes.MINIMA[fname], "r*", ms=14)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_title(fname)
    axes[0, 0].legend(loc="upper right", fontsize=8, ncol=2)
    fig.suptitle("Optimizer paths (start: black dot, minimum: red star)")
    fig.tight_layout()
    return _save(fig, path, plt)


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
    return _save(fig, path, plt)


def _save(fig, path: Path, plt) -> Path:
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return files.atomic_write(path, lambda f: f.write(buffer.getvalue()))


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
