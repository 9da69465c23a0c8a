"""Pictures of a model's test predictions: the confusion matrix, and predicted against true values."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fnn import metrics
from fnn.plots import figures

def plot_confusion_matrix(y_true, y_pred, num_classes: int, path, *, title: str = "") -> Path:
    """Draw the confusion matrix (rows true, columns predicted) with counts in the cells, to a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    C = np.asarray(metrics.confusion_matrix(y_true, y_pred, num_classes))
    size = 1.2 + 0.45 * num_classes
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(C, cmap="Blues")
    for (i, j), count in np.ndenumerate(C):
        ax.text(j, i, str(count), ha="center", va="center", fontsize=8,
                color="white" if count > C.max() / 2 else "black")
    ax.set_xticks(range(num_classes))
    ax.set_yticks(range(num_classes))
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title or f"confusion matrix (accuracy {float(metrics.accuracy(y_true, y_pred)):.4f})")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    return figures.save(fig, path, dpi=110)


def plot_predictions(y_true, y_pred, path, *, title: str = "") -> Path:
    """Predicted against true values of a regression (one point per sample; the diagonal is perfect)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    y_true, y_pred = np.ravel(np.asarray(y_true)), np.ravel(np.asarray(y_pred))
    low, high = min(y_true.min(), y_pred.min()), max(y_true.max(), y_pred.max())
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.scatter(y_true, y_pred, s=10, alpha=0.6)
    ax.plot([low, high], [low, high], color="black", linewidth=1, label="y = yhat")
    ax.set_xlabel("true value")
    ax.set_ylabel("predicted value")
    ax.set_aspect("equal")
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(title or f"predicted vs true (R^2 {float(metrics.r2(y_true, y_pred)):.3f})")
    fig.tight_layout()
    return figures.save(fig, path)
