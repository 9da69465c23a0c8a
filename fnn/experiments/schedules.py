"""Learning-rate schedules: every schedule of fnn.optim.schedules over the steps, one panel each.

Each panel draws eta_t = schedule(t) for t = 0..steps - 1 with example hyperparameters
(``EXAMPLES``) that show at least three cycles or decay steps in the full size's 400 steps.
Reference: the lecture's learning-rate slides (step decay, 1/t, exponential, warm-up,
cyclical learning rates, SGDR's cosine annealing with warm restarts).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from fnn.experiments import common
from fnn.optim import schedules

EXAMPLES = {
    "constant": {"init_value": 0.1},
    "inverse_time": {"init_value": 0.1, "decay": 0.02},
    "harmonic": {"init_value": 0.1},
    "power": {"init_value": 0.1, "exponent": 0.5},
    "staircase": {"init_value": 0.1, "decay_rate": 0.5, "step_size": 100},
    "exponential": {"init_value": 0.1, "decay_rate": 0.5, "step_size": 100},
    "linear_warmup": {"peak_value": 0.1, "warmup_steps": 50},
    "cyclical": {"base_lr": 0.01, "max_lr": 0.1, "step_size": 50, "mode": "triangular2"},
    "cosine_restarts": {"init_value": 0.1, "total_steps": 400, "cycles": 4},
}
"""name -> the hyperparameters drawn."""


@dataclasses.dataclass(frozen=True)
class Config:
    steps: int = 400


SIZES = {"small": Config(steps=50), "full": Config()}


def run(config: Config, out, *, progress: bool = False) -> dict:
    """Evaluate every example schedule at t = 0..steps - 1 and draw them."""
    t = np.arange(config.steps)
    curves = {name: np.asarray(jax.vmap(schedules.get(name)(**args))(jnp.asarray(t)))
              for name, args in EXAMPLES.items()}
    summary = {f"{name}: eta at t = 0, last": [float(c[0]), float(c[-1])] for name, c in curves.items()}
    numbers = {"summary": summary, "curves": {k: v.tolist() for k, v in curves.items()}}
    return common.finish(out, config, numbers, {"schedules": figure(t, curves)})


def figure(t, curves: dict):
    """One panel per schedule, its hyperparameters written in the corner."""
    fig, axes = common.subplots(3, 3, panel=(4.0, 3.0), sharex=True)
    for ax, (name, curve) in zip(axes.ravel(), curves.items()):
        ax.plot(t, curve, color="tab:green")
        ax.set_title(name)
        ax.text(0.98, 0.95, ", ".join(f"{k}={v}" for k, v in EXAMPLES[name].items()), transform=ax.transAxes,
                ha="right", va="top", fontsize=7)
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("step t")
    for ax in axes[:, 0]:
        ax.set_ylabel("learning rate")
    fig.suptitle("Learning-rate schedules of fnn.optim.schedules")
    fig.tight_layout()
    return fig
