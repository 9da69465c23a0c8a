"""The layer statistics ``fnn.monitor`` records (``layers.png``): gradients, updates and activations per layer and epoch."""

from __future__ import annotations

from pathlib import Path

from fnn.plots import figures

PANELS = (
    ("grad_norm", r"gradient norm $\|\partial J / \partial W_k\|$", "log"),
    ("grad_std", r"gradient std $\mathrm{std}(\partial J / \partial W_k)$", "log"),
    ("update_ratio", r"update / weight ratio $\|\Delta W_k\| \,/\, \|W_k\|$", "log"),
    ("grad_mean", r"gradient mean $\mathrm{mean}(\partial J / \partial W_k)$", "linear"),
    ("act_mean", r"activation mean $\mathrm{mean}(A_k)$", "linear"),
    ("act_std", r"activation std $\mathrm{std}(A_k)$", "linear"),
)
"""(statistic, y label, y scale) of the panels of ``figure``, two per row."""

def figure(history: list[dict], *, title: str = ""):
    """The per-layer statistics over epochs: one panel per statistic, one line per layer.

    Weight statistics are labelled W1, W2, ... (the model's weight matrices in order),
    activation statistics A1, A2, ... (its hidden representations); a history without
    activation statistics gets no activation row.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [r["epoch"] for r in history]
    panels = [p for p in PANELS if f"{p[0]}_1" in history[0]]
    rows = len(panels) // 2  # the four weight statistics, then the two activation ones if recorded
    fig, axes = plt.subplots(rows, 2, figsize=(11, 3.2 * rows + 0.6), sharex=True, squeeze=False)
    for ax, (name, ylabel, scale) in zip(axes.ravel(), panels):
        symbol = "A" if name.startswith("act_") else "W"
        layers = sorted(int(key.rsplit("_", 1)[1]) for key in history[0] if key.rsplit("_", 1)[0] == name)
        for k in layers:
            ax.plot(epochs, [r[f"{name}_{k}"] for r in history], label=f"{symbol}{k}")
        if name == "update_ratio":
            ax.axhline(1e-3, color="grey", ls=":", lw=1, label="1e-3 (healthy)")
        ax.set_yscale(scale)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, title="hidden layer" if symbol == "A" else "weight matrix", title_fontsize=7)
    for ax in axes[-1]:
        ax.set_xlabel("epoch")
    fig.suptitle(title or "per-layer statistics")
    fig.tight_layout()
    return fig


def plot(history: list[dict], path, *, title: str = "") -> Path:
    """Draw ``figure(history, title=title)`` to the PNG ``path`` (atomically)."""
    return figures.save(figure(history, title=title), path, dpi=100)
