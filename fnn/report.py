"""The evaluation report of a classifier: per-class table and confusion-matrix picture."""

from __future__ import annotations

import numpy as np

from fnn import metrics

SUMMARY_ROWS = ("macro", "accuracy")
"""The report's rows besides the classes: no class may be named like them."""


def classification_report(y_true, y_pred, num_classes: int, labels: tuple = ()) -> dict:
    """Precision, recall, F1 and support per class, their macro average, and accuracy.

    Returns:
        ``{"0": {"precision", "recall", "f1", "support"}, ..., "macro": {...}, "accuracy": a}``
        (the numbers of scikit-learn's ``classification_report``, with zero_division=0); with
        ``labels`` (the value of each class number), the classes are named by them.

    Raises:
        ValueError: a label is named like a row of ``SUMMARY_ROWS``.
    """
    scores = {name: np.asarray(getattr(metrics, name)(y_true, y_pred, num_classes, average=None))
              for name in ("precision", "recall", "f1")}
    support = np.asarray(metrics.confusion_matrix(y_true, y_pred, num_classes)).sum(axis=1)
    names = [str(label) for label in labels] if labels else [str(k) for k in range(num_classes)]
    if clashes := set(names) & set(SUMMARY_ROWS):
        raise ValueError(f"classification_report: expected class labels other than {', '.join(SUMMARY_ROWS)} (rows of "
                         f"the report), got {', '.join(sorted(clashes))}")
    report = {names[k]: {**{name: float(s[k]) for name, s in scores.items()}, "support": int(support[k])}
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
