"""Plot every learning-rate schedule of fnn.optim.schedules, one panel each.

    python scripts/plot_schedules.py               # writes runs/schedules.png
"""

from __future__ import annotations

import argparse
import dataclasses
import io
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from fnn import files
from fnn.optim import schedules

# Example hyperparameters showing at least three cycles or decay steps in ``steps``.
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


@dataclasses.dataclass(frozen=True)
class Config:
    steps: int = 400
    out: str = "runs/schedules.png"


def main(config: Config) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = np.arange(config.steps)
    curves = {name: np.asarray(jax.vmap(schedules.get(name)(**args))(jnp.asarray(t))) for name, args in EXAMPLES.items()}
    fig, axes = plt.subplots(3, 3, figsize=(12, 9), sharex=True)
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
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    path = files.atomic_write(Path(config.out), lambda f: f.write(buffer.getvalue()))
    print(f"wrote {path}")
    return {"png": str(path), "curves": {k: v.tolist() for k, v in curves.items()}}


def parse(argv=None) -> Config:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=Config.steps)
    p.add_argument("--out", default=Config.out)
    return Config(**vars(p.parse_args(argv)))


if __name__ == "__main__":
    main(parse())
