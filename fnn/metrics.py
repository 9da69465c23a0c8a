r"""Evaluation metrics as pure jnp functions (jit-compatible), equal to scikit-learn's.

Argument order follows scikit-learn: ``(y_true, y_pred)`` or ``(y_true, scores)``. Class
metrics need the number of classes K as a static int. Where a ratio has a zero
denominator (a class never predicted, or absent), it is 0, scikit-learn's
``zero_division=0``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from fnn import losses
from fnn.util import validate


def _check_pair(where: str, y_true, y_pred):
    if jnp.shape(y_true) != jnp.shape(y_pred):
        raise ValueError(
            f"{where}: expected y_true and y_pred of the same shape, got {jnp.shape(y_true)} and {jnp.shape(y_pred)}"
        )


def _ratio(numerator, denominator):
    safe = jnp.where(denominator > 0, denominator, 1)
    return jnp.where(denominator > 0, numerator / safe, 0.0)


def accuracy(y_true, y_pred):
    """Fraction of samples whose predicted class equals the label, (1/N) sum [yhat_n = y_n]."""
    _check_pair("accuracy", y_true, y_pred)
    correct = jnp.asarray(y_pred) == jnp.asarray(y_true).astype(jnp.asarray(y_pred).dtype)
    return jnp.mean(correct.astype(jnp.result_type(float)))


def confusion_matrix(y_true, y_pred, num_classes: int):
    """C[i, j] = number of samples of true class i predicted as j (rows true, columns predicted)."""
    _check_pair("confusion_matrix", y_true, y_pred)
    classes = jnp.arange(num_classes)
    true = (jnp.asarray(y_true)[:, None] == classes.astype(jnp.asarray(y_true).dtype)).astype(jnp.int32)
    pred = (jnp.asarray(y_pred)[:, None] == classes.astype(jnp.asarray(y_pred).dtype)).astype(jnp.int32)
    return true.T @ pred


def _pooled(where: str, y_true, y_pred, num_classes: int, average):
    """Per-class (TP, predicted, actual) counts, summed over classes for average="micro"."""
    if average is not None:
        validate.choice(where, "average", average, ("micro", "macro"))
    C = confusion_matrix(y_true, y_pred, num_classes).astype(jnp.result_type(float))
    counts = jnp.diag(C), jnp.sum(C, axis=0), jnp.sum(C, axis=1)
    return tuple(jnp.sum(c) for c in counts) if average == "micro" else counts


def _finish(score, average):
    return jnp.mean(score) if average == "macro" else score


def precision(y_true, y_pred, num_classes: int, *, average: str | None = "macro"):
    """P = TP / (TP + FP) per class; ``average``: "micro" (pooled counts), "macro" (mean), None (per class)."""
    tp, predicted, _ = _pooled("precision", y_true, y_pred, num_classes, average)
    return _finish(_ratio(tp, predicted), average)


def recall(y_true, y_pred, num_classes: int, *, average: str | None = "macro"):
    """R = TP / (TP + FN) per class; averaged as in ``precision``."""
    tp, _, actual = _pooled("recall", y_true, y_pred, num_classes, average)
    return _finish(_ratio(tp, actual), average)


def f_beta(y_true, y_pred, num_classes: int, *, beta: float = 1.0, average: str | None = "macro"):
    r"""F-beta score, F = (1 + beta^2) P R / (beta^2 P + R) = (1 + beta^2) TP / ((1 + beta^2) TP + beta^2 FN + FP).

    Averaged as in ``precision``; micro-averaged F equals accuracy for single-label data.
    """
    validate.number_in("f_beta", "beta", beta, 0.0, low_open=True)
    tp, predicted, actual = _pooled("f_beta", y_true, y_pred, num_classes, average)
    b2 = beta * beta
    return _finish(_ratio((1 + b2) * tp, b2 * actual + predicted), average)


def f1(y_true, y_pred, num_classes: int, *, average: str | None = "macro"):
    """F1 = 2 P R / (P + R), the harmonic mean of precision and recall."""
    return f_beta(y_true, y_pred, num_classes, beta=1.0, average=average)


def roc_curve(y_true, scores):
    r"""ROC curve of a binary problem: false and true positive rates at every threshold.

    Sorting by decreasing score, the point after sample k counts the positives and
    negatives among the first k. Samples with tied scores share one point: each is given
    the counts at the end of its tie group, so the curve has static length N + 1 (the
    first point is (0, 0), threshold +inf) and repeated points where scores tie.
    Returns:
        (fpr, tpr, thresholds), each (N + 1,).
    """
    _check_pair("roc_curve", y_true, scores)
    validate.ndim("roc_curve", "scores", scores, 1, "for K classes use roc_auc with (N, K) scores")
    order = jnp.argsort(-scores, stable=True)
    s, y = scores[order], (jnp.asarray(y_true)[order] > 0).astype(scores.dtype)
    tp, fp = jnp.cumsum(y), jnp.cumsum(1 - y)
    # The last index of each tie group: where the next score differs (or the end).
    last_of_group = jnp.append(s[1:] != s[:-1], True)
    group_end = jax.lax.cummin(jnp.where(last_of_group, jnp.arange(s.size), s.size), reverse=True)
    tp, fp = tp[group_end], fp[group_end]
    zero = jnp.zeros((1,), scores.dtype)
    tpr = jnp.concatenate([zero, _ratio(tp, tp[-1])])
    fpr = jnp.concatenate([zero, _ratio(fp, fp[-1])])
    return fpr, tpr, jnp.concatenate([jnp.full((1,), jnp.inf, scores.dtype), s])


def _binary_auc(y_true, scores):
    fpr, tpr, _ = roc_curve(y_true, scores)
    return jnp.sum((fpr[1:] - fpr[:-1]) * (tpr[1:] + tpr[:-1]) / 2)


def _defined(present, auc):
    """auc where both classes of its one-vs-rest problem are present, else NaN (undefined)."""
    return jnp.where(present, auc, jnp.nan)


def roc_auc(y_true, scores):
    r"""Area under the ROC curve (trapezoidal rule).

    Binary: ``scores`` (N,) for the positive class (y_true > 0). K classes: ``scores``
    (N, K) and the unweighted mean of the K one-vs-rest AUCs (scikit-learn's
    multi_class="ovr", macro), labels in [0, K).
    Raises:
        ValueError: when the values of ``y_true`` are known (not under jit) and a class
            is absent: its AUC is undefined, as scikit-learn says. Under jit such an
            AUC (and so the macro mean) is NaN, scikit-learn's value with ``labels=``.
    """
    y = jnp.asarray(y_true)
    known = validate.concrete(y)
    if jnp.ndim(scores) == 1:
        _check_pair("roc_auc", y_true, scores)
        positive = y > 0
        if known is not None:
            missing = [name for name, count in (("negative (y <= 0)", (known <= 0).sum()),
                                                ("positive (y > 0)", (known > 0).sum())) if count == 0]
            if missing:
                raise ValueError(
                    f"roc_auc: expected both classes in y_true, got no {missing[0]} sample; "
                    f"the AUC is undefined with one class"
                )
        return _defined(jnp.any(positive) & jnp.any(~positive), _binary_auc(y_true, scores))
    validate.ndim("roc_auc", "scores", scores, 2)
    K = scores.shape[1]
    if jnp.shape(y) != scores.shape[:1]:
        raise ValueError(f"roc_auc: expected y_true of shape ({scores.shape[0]},) for scores.shape={scores.shape}, "
                         f"got y_true.shape={jnp.shape(y)}")
    if known is not None:
        absent = [k for k in range(K) if not np.any(known == k)]
        if absent:
            raise ValueError(
                f"roc_auc: expected every class 0..{K - 1} in y_true (scores has {K} columns), "
                f"got no sample of class {', '.join(map(str, absent))}; its one-vs-rest AUC is undefined"
            )
    classes = jnp.arange(K).astype(y.dtype)
    aucs = []
    for k in range(K):
        member = y == classes[k]
        aucs.append(_defined(jnp.any(member) & jnp.any(~member), _binary_auc(member.astype(jnp.int32), scores[:, k])))
    return jnp.mean(jnp.stack(aucs))


def mse(y_true, y_pred):
    """Mean squared error over all elements (for (N, D) targets this equals the mean of the
    per-output MSEs, scikit-learn's multioutput="uniform_average")."""
    _check_pair("mse", y_true, y_pred)
    return jnp.mean(jnp.square(y_pred - y_true))


def rmse(y_true, y_pred):
    r"""Root mean squared error; for (N, D) targets the mean of the D per-output RMSEs.

    Math:
        RMSE = (1/D) sum_d sqrt((1/N) sum_n (yhat_nd - y_nd)^2), scikit-learn's
        ``root_mean_squared_error`` (multioutput="uniform_average"); not sqrt(mse) of
        all elements pooled, unless D = 1.
    """
    _check_pair("rmse", y_true, y_pred)
    return jnp.mean(jnp.sqrt(jnp.mean(jnp.square(y_pred - y_true), axis=0)))


def mae(y_true, y_pred):
    """Mean absolute error over all elements (for (N, D) targets this equals the mean of the
    per-output MAEs, scikit-learn's multioutput="uniform_average")."""
    _check_pair("mae", y_true, y_pred)
    return jnp.mean(jnp.abs(y_pred - y_true))


def r2(y_true, y_pred):
    r"""Coefficient of determination, R^2 = 1 - sum (y - yhat)^2 / sum (y - mean y)^2.

    For (N, D) targets, the mean over the D outputs (scikit-learn's uniform average); a
    constant target gives 1 for a perfect prediction and 0 otherwise, as in scikit-learn.
    """
    _check_pair("r2", y_true, y_pred)
    residual = jnp.sum(jnp.square(y_true - y_pred), axis=0)
    total = jnp.sum(jnp.square(y_true - jnp.mean(y_true, axis=0)), axis=0)
    score = jnp.where(total > 0, 1 - residual / jnp.where(total > 0, total, 1), jnp.where(residual == 0, 1.0, 0.0))
    return jnp.mean(score)


def huber(y_true, y_pred, *, delta: float = 1.0):
    """Mean Huber loss over all elements (``fnn.losses.huber`` as a metric)."""
    return losses.huber(y_pred, y_true, delta=delta)
