"""The curves of a training run (``curves.png``): loss and accuracy (or RMSE, MAE) per epoch, and the learning rate."""

from __future__ import annotations

import math
from pathlib import Path

from fnn.plots import figures

def plot(history: list[dict], path, *, title: str = "", learning_rates=None) -> Path:
    """Draw ``figure(history, ...)`` to the PNG ``path`` (atomically)."""
    return figures.save(figure(history, title=title, learning_rates=learning_rates), path, dpi=110)


def figure(history: list[dict], *, title: str = "", learning_rates=None):
    """Loss and accuracy (or RMSE, MAE) curves per epoch, and the learning rate.

    Args:
        history: records with ``epoch`` and ``train_``/``val_`` loss and metrics (a panel
            shows the splits the records have).
        title: figure title.
        learning_rates: optional ``(epochs, rates)`` arrays (e.g. a schedule evaluated at
            every step, epochs fractional); else the records' ``learning_rate`` if present.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [r["epoch"] for r in history]
    keys = set().union(*history)
    metric = next((name for name in ("accuracy", "rmse", "mae") if f"train_{name}" in keys or f"val_{name}" in keys), None)
    panels = [("loss", "objective")] + ([(metric, metric if metric == "accuracy" else metric.upper())] if metric else [])
    if learning_rates is None and "learning_rate" in history[0]:
        learning_rates = (epochs, [r["learning_rate"] for r in history])
    width = len(panels) + (learning_rates is not None)
    fig, axes = plt.subplots(1, width, figsize=(5.5 * width, 4), squeeze=False)
    if learning_rates is not None:
        ax = axes[0][-1]
        ax.plot(*learning_rates, color="tab:green", drawstyle="steps-post" if len(learning_rates[0]) == len(epochs) else None)
        ax.set_xlabel("epoch")
        ax.set_ylabel("learning rate")
        ax.grid(alpha=0.3)
    for ax, (suffix, label) in zip(axes[0], panels):
        for split in ("train", "val"):
            key = f"{split}_{suffix}"
            if key in keys:  # a record without it leaves a gap
                ax.plot(epochs, [r.get(key, math.nan) for r in history], label=split,
                        marker="." if len(epochs) < 40 else None)
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        if suffix == "loss":
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    return fig
