"""The evaluation report of a classifier: per-class table and confusion-matrix picture."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fnn import files, metrics


def classification_report(y_true, y_pred, num_classes: int) -> dict:
    """Precision, recall, F1 and support per class, their macro average, and accuracy.

    Returns:
        ``{"0": {"precision", "recall", "f1", "support"}, ..., "macro": {...}, "accuracy": a}``
        (the numbers of scikit-learn's ``classification_report``, with zero_division=0).
    """
    scores = {name: np.asarray(getattr(metrics, name)(y_true, y_pred, num_classes, average=None))
              for name in ("precision", "recall", "f1")}
    support = np.asarray(metrics.confusion_matrix(y_true, y_pred, num_classes)).sum(axis=1)
    report = {str(k): {**{name: float(s[k]) for name, s in scores.items()}, "support": int(support[k])}
              for k in range(num_classes)}
    report["macro"] = {**{name: float(np.mean(s)) for name, s in scores.items()}, "support": int(support.sum())}
    report["accuracy"] = float(metrics.accuracy(y_true, y_pred))
    return report


def format_report(report: dict) -> str:
    """The report as a text table."""
    lines = [f"{'class':>8} {'precision':>9} {'recall':>9} {'f1':>9} {'support':>8}"]
    for name, row in report.items():
        if name != "accuracy":
            lines.append(f"{name:>8} {row['precision']:>9.4f} {row['recall']:>9.4f} {row['f1']:>9.4f} {row['support']:>8d}")
    lines.append(f"{'accuracy':>8} {report['accuracy']:>29.4f} {report['macro']['support']:>8d}")
    return "\n".join(lines)


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
    return files.save_figure(fig, path, dpi=110)


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
    return files.save_figure(fig, path)
