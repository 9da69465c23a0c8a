r"""Decision stumps: depth-1 trees found by an exhaustive, weighted threshold search.

A stump sends row x left when x_j <= t and right otherwise, and predicts one value per
side. The search sorts every feature, tries every threshold halfway between two
consecutive distinct values (t = x_(i)/2 + x_(i+1)/2), keeps the splits that leave positive
weight on both sides, and takes the best over all features and thresholds. Rows of weight 0
(out of the bag when boosting subsamples) take no part: thresholds lie halfway between
values of rows of positive weight, as in scikit-learn, which drops such rows.

Ties: the first best split wins, in feature order and then from the lowest threshold up.
scikit-learn visits features in a random order (its ``random_state``) and treats values
closer than 1e-7 as equal; its trees also cast X to float32. On float32-representable data
without tied scores the two searches choose the same split.

- ``fit_regression``: a depth-1 regression tree for the weighted squared error (leaf
  values the weighted means, or a Newton step per leaf), the weak learner of gradient boosting.
- ``fit_classifier``: a weighted two-class stump with leaves in {-1, +1}, by weighted
  misclassification error (the lecture's AdaBoost weak learner) or by weighted Gini
  impurity (scikit-learn's ``DecisionTreeClassifier(max_depth=1)``).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from fnn.util import validate

CRITERIA = ("error", "gini")


class Stump(NamedTuple):
    """A depth-1 tree: rows with X[:, feature] <= threshold get ``left``, the others ``right``.

    All fields are 0-d arrays (stacked on a leading axis when an ensemble holds many). A
    stump that found no split has threshold +inf and left = right.
    """

    feature: jax.Array
    threshold: jax.Array
    left: jax.Array
    right: jax.Array


def predict(stump: Stump, X):
    """The stump's value for every row, where(X[:, j] <= t, left, right), (N,)."""
    validate.ndim("stumps.predict", "X", X, 2, "X is (N, D), one sample per row")
    return jnp.where(X[:, stump.feature] <= stump.threshold, stump.left, stump.right)


def check(where: str, X, targets, name: str, w=None) -> None:
    """Check X (N, D) floating with N >= 2, and ``targets`` (and weights ``w``) of shape (N,)."""
    validate.ndim(where, "X", X, 2, "X is (N, D), one sample per row")
    validate.floating(where, "X", X)
    if X.shape[0] < 2:
        raise ValueError(f"{where}: expected at least 2 rows in X to split, got X.shape={X.shape}")
    for label, array in ((name, targets), ("w", w)):
        if array is not None and jnp.shape(array) != (X.shape[0],):
            raise ValueError(f"{where}: expected {label} of shape ({X.shape[0]},) (one per row of X), "
                             f"got {label}.shape={jnp.shape(array)}")


def _best_split(X, columns, score):
    """Feature and threshold maximising ``score(left_sums, right_sums)`` over all candidate splits.

    ``columns`` are per-row quantities (weights first) whose left and right sums the score
    needs; each sum is a cumulative sum over the sorted rows (the right sums from the end,
    so a tail of zero weight sums to exactly 0).
    """
    order = jnp.argsort(X, axis=0)
    Xs = jnp.take_along_axis(X, order, axis=0)
    sorted_columns = [c[order] for c in columns]
    left = [jnp.cumsum(c, axis=0)[:-1] for c in sorted_columns]
    right = [jnp.cumsum(c[::-1], axis=0)[::-1][1:] for c in sorted_columns]
    valid = (Xs[1:] > Xs[:-1]) & (left[0] > 0) & (right[0] > 0)
    gain = jnp.where(valid, score(left, right, valid), -jnp.inf)      # (N - 1, D)
    best = jnp.argmax(gain.T)                                          # feature-major: first feature wins ties
    feature, position = best // gain.shape[0], best % gain.shape[0]
    x, weighted = X[:, feature], columns[0] > 0                       # the neighbours of weight > 0:
    below = jnp.max(jnp.where(weighted & (x <= Xs[position, feature]), x, -jnp.inf))
    above = jnp.min(jnp.where(weighted & (x > Xs[position, feature]), x, jnp.inf))
    threshold = below / 2 + above / 2
    found = jnp.any(valid)
    return jnp.where(found, feature, 0), jnp.where(found, threshold, jnp.inf)


def _safe(denominator, valid):
    return jnp.where(valid, denominator, 1.0)


def _ratio(numerator, denominator):
    """numerator / denominator, 0 where |denominator| < 1e-150 (scikit-learn's safe divide)."""
    small = jnp.abs(denominator) < 1e-150
    return jnp.where(small, 0.0, numerator / jnp.where(small, 1.0, denominator))


def fit_regression(X, r, w=None, *, hessian=None) -> Stump:
    r"""Weighted depth-1 regression tree on targets r (in boosting, the antigradient).

    Math:
        Split (j, t) maximises S_L^2 / W_L + S_R^2 / W_R, with W = sum w and S = sum w r
        over each side: the split of least weighted squared error
        sum_L w (r - m_L)^2 + sum_R w (r - m_R)^2 = sum w r^2 - S_L^2/W_L - S_R^2/W_R
        (scikit-learn's squared_error proxy; friedman_mse, W_L W_R / W (m_L - m_R)^2, ranks
        the splits the same).
        Leaves: the weighted means m = S / W; with ``hessian`` h the Newton step per leaf,
        sum w r / sum w h (scikit-learn's log-loss leaf, 0 where the denominator is < 1e-150).
    Shapes:
        X (N, D) floating, N >= 2; r (N,); w (N,) non-negative weights (default ones); hessian (N,).
    """
    check("stumps.fit_regression", X, r, "r", w)
    if hessian is not None:
        check("stumps.fit_regression", X, hessian, "hessian")
    r = jnp.asarray(r).astype(X.dtype)
    w = jnp.ones_like(r) if w is None else jnp.asarray(w).astype(X.dtype)

    def score(left, right, valid):
        (WL, SL), (WR, SR) = left, right
        return SL**2 / _safe(WL, valid) + SR**2 / _safe(WR, valid)

    feature, threshold = _best_split(X, (w, w * r), score)
    goes_left = X[:, feature] <= threshold
    weight = w if hessian is None else w * jnp.asarray(hessian).astype(X.dtype)

    def leaf(side):
        return _ratio(jnp.sum(jnp.where(side, w * r, 0.0)), jnp.sum(jnp.where(side, weight, 0.0)))

    return _stump(feature, threshold, leaf(goes_left), leaf(~goes_left))


def _stump(feature, threshold, left, right) -> Stump:
    """The stump; with no split (threshold +inf) the empty right leaf takes the left's value."""
    return Stump(feature, threshold, left, jnp.where(jnp.isinf(threshold), left, right))


def fit_classifier(X, y, w, *, criterion: str = "error") -> Stump:
    r"""Weighted two-class stump, labels y in {-1, +1}, leaves in {-1, +1}.

    Math (P, Q: the weight of the +1 and of the -1 rows on a side):
        criterion "error":  minimise min(P_L, Q_L) + min(P_R, Q_R), the weighted error
            e = sum_n w_n [h(x_n) != y_n] of the best leaf labels (the lecture's weak learner).
        criterion "gini":   minimise P_L Q_L / W_L + P_R Q_R / W_R, i.e. W_L G_L + W_R G_R with
            G = 1 - (P/W)^2 - (Q/W)^2 (scikit-learn's default tree criterion).
        Each leaf predicts its weighted majority, +1 if P > Q else -1 (scikit-learn's
        first class on a tie).
    Shapes:
        X (N, D) floating, N >= 2; y (N,) in {-1, +1}; w (N,) non-negative weights.
    """
    validate.choice("stumps.fit_classifier", "criterion", criterion, CRITERIA)
    check("stumps.fit_classifier", X, y, "y", w)
    positive = jnp.asarray(y) > 0
    w = jnp.asarray(w).astype(X.dtype)
    P, Q = jnp.where(positive, w, 0.0), jnp.where(positive, 0.0, w)

    def score(left, right, valid):
        (WL, PL, QL), (WR, PR, QR) = left, right
        if criterion == "error":
            return -(jnp.minimum(PL, QL) + jnp.minimum(PR, QR))
        return -(PL * QL / _safe(WL, valid) + PR * QR / _safe(WR, valid))

    feature, threshold = _best_split(X, (w, P, Q), score)
    goes_left = X[:, feature] <= threshold

    def leaf(side):
        majority = jnp.sum(jnp.where(side, P, 0.0)) > jnp.sum(jnp.where(side, Q, 0.0))
        return jnp.where(majority, 1.0, -1.0).astype(X.dtype)

    return _stump(feature, threshold, leaf(goes_left), leaf(~goes_left))
