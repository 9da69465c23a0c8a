"""Optimizer paths: every optimizer on 2-D test functions, with Newton and L-BFGS, and their digits training curves.

Figure ``paths.png``: every optimizer's path from one start point over the contours of an
ill-conditioned quadratic, Rosenbrock, Beale and a saddle (``fnn.optim.landscapes``; the
small size draws the quadratic and the saddle), with
Newton and L-BFGS (``fnn.optim.second_order``) for reference; each panel's frame holds every
path, and a path that runs off (the saddle is unbounded below) is cut where it leaves the
box widened by half its size, marked with a cross and named in the legend. Figure
``digits.png``: the training loss per epoch of every optimizer on the digits MLP
64-128-128-10 (each optimizer's defaults, the same initial parameters and minibatch order).
Reference: the lecture's optimisation slides (momentum, Nesterov, Adagrad, RMSProp, Adam, ...).
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
from fnn.optim import landscapes, second_order
from fnn.util import validate

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
"""Learning rates per test function (the functions' curvatures differ by orders of magnitude)."""


@dataclasses.dataclass(frozen=True)
class Config:
    steps: int = 1500
    epochs: int = 20
    digits: bool = True
    optimizers: tuple = tuple(optim.BY_NAME)
    functions: tuple = tuple(landscapes.FUNCTIONS)
    seed: int = 0

    def __post_init__(self):
        for field, table in (("optimizers", optim.BY_NAME), ("functions", landscapes.FUNCTIONS)):
            if not getattr(self, field):
                raise ValueError(f"optimizer-paths: expected {field} among {', '.join(table)}, got none")
            for name in getattr(self, field):
                validate.choice("optimizer-paths", field[:-1], name, table)


SIZES = {"small": Config(steps=5, epochs=1, optimizers=("sgd", "rprop"), functions=("ill-conditioned quadratic",
                                                                                     "saddle")),
         "full": Config()}


def paths(steps: int, optimizers, functions, *, progress: bool = False) -> dict:
    """name of function -> name of optimizer -> (steps + 1, 2) path (Newton and L-BFGS but on the saddle)."""
    result = {}
    for fname in tqdm(functions, desc="paths", disable=not progress):
        f, start, _ = landscapes.FUNCTIONS[fname]
        x0 = jnp.asarray(start, common.DTYPE)
        result[fname] = {name: np.asarray(landscapes.trajectory(optim.get(name)(learning_rate=RATES[fname][name]),
                                                                  f, x0, steps=steps)) for name in optimizers}
        if fname != "saddle":  # unbounded below: Newton jumps to the saddle point, L-BFGS's line search diverges
            result[fname]["newton"] = np.asarray(second_order.newton(f, x0, steps=min(steps, 30), damping=1e-2).x)
            result[fname]["l-bfgs"] = np.asarray(second_order.lbfgs(f, x0, steps=min(steps, 50)).x)
    return result


def digits_curves(epochs: int, seed: int, optimizers, *, progress: bool = False) -> dict:
    """name of optimizer -> training loss per epoch on digits and the last validation accuracy."""
    key = jax.random.key(seed)
    data = common.digits(seed)
    model = mlp.mlp((128, 128), 10)
    params = model.init(jax.random.fold_in(key, 1), (64,), dtype=common.DTYPE)[1]
    curves = {}
    for name in tqdm(optimizers, desc="digits", disable=not progress):
        batch = len(data.train[1]) if name == "rprop" else 64  # Rprop is a full-batch method
        _, result = common.fit_classifier(model, data, optim.get(name)(), epochs=epochs, batch_size=batch,
                                          key=jax.random.fold_in(key, 2), params=params)
        curves[name] = {"train_loss": [r["train_loss"] for r in result.history],
                        "val_accuracy": result.history[-1]["val_accuracy"]}
    return curves


def run(config: Config, out, *, progress: bool = False) -> dict:
    """The paths and their final values, and (with ``digits``) the digits curves."""
    all_paths = paths(config.steps, config.optimizers, config.functions, progress=progress)
    value = lambda fname, xs: common.finite(landscapes.FUNCTIONS[fname][0](jnp.asarray(xs[-1])))  # noqa: E731
    final = {fname: {name: value(fname, xs) for name, xs in by.items()}  # None: diverged (the saddle is unbounded)
             for fname, by in all_paths.items()}
    summary = {f"{fname}: final f": values for fname, values in final.items()}
    numbers, figures = {"final_value": final}, {"paths": paths_figure(all_paths)}
    if config.digits:
        curves = digits_curves(config.epochs, config.seed, config.optimizers, progress=progress)
        summary |= {f"digits {name}: final train loss, val accuracy": [c["train_loss"][-1], c["val_accuracy"]]
                    for name, c in curves.items()}
        numbers["digits"], figures["digits"] = curves, digits_figure(curves)
    return common.finish(out, config, {"summary": summary} | numbers, figures)


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
    """Every test function's contours with every optimizer's path (``paths()``)."""
    import matplotlib.pyplot as plt

    fig, axes = common.subplots((len(all_paths) + 1) // 2, min(len(all_paths), 2), panel=(6.5, 5.5))
    colors = plt.get_cmap("tab20").colors[::2] + plt.get_cmap("tab20").colors[1::2]  # ten distinct hues first
    for ax, (fname, by_optimizer) in zip(axes.ravel(), all_paths.items()):
        draw_paths(ax, fname, by_optimizer, colors)
    fig.suptitle("Optimizer paths on 2-D test functions (a cross marks where a path leaves the plot)")
    fig.tight_layout()
    return fig


def digits_figure(curves: dict):
    """The training loss per epoch of every optimizer (log scale)."""
    fig, axes = common.subplots(1, 1, panel=(7.0, 4.5))
    ax = axes[0, 0]
    for name, c in curves.items():
        ax.plot(range(1, len(c["train_loss"]) + 1), c["train_loss"], label=f"{name} (val acc {c['val_accuracy']:.3f})")
    ax.set(xlabel="epoch", ylabel="training loss (mean over the epoch)", yscale="log",
           title="Digits MLP 64-128-128-10, each optimizer with its defaults")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
