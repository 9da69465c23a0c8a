r"""AdaBoost with decision stumps, as in the lecture (Freund and Schapire 1997).

Math (labels y in {-1, +1}, N rows):
    w_n = 1/N
    for t = 1..T:
        h_t = the stump of least weighted error (``stumps.fit_classifier``)
        e_t = sum_n w_n [h_t(x_n) != y_n]
        alpha_t = 1/2 ln((1 - e_t) / e_t)
        w_n <- w_n exp(-alpha_t y_n h_t(x_n)) / Z_t,  Z_t = sum_n w_n exp(-alpha_t y_n h_t(x_n)) = 2 sqrt(e_t (1 - e_t))
    H(x) = sign(F_T(x)), F_t(x) = sum_{s <= t} alpha_s h_s(x)   (a score of 0 predicts -1)

The exponential-loss view: AdaBoost is greedy stagewise minimisation of
L(F) = (1/N) sum_n exp(-y_n F(x_n)); each round picks h_t and alpha_t to minimise
L(F_{t-1} + alpha h), and the training loss after round t is L(F_t) = Z_1 Z_2 ... Z_t,
non-increasing since Z_t <= 1; it bounds the training error from above.

scikit-learn's ``AdaBoostClassifier`` (SAMME, two classes) is the same algorithm written
differently: its estimator weight is ln((1 - e_t)/e_t) = 2 alpha_t, and it multiplies only
the misclassified weights by exp(2 alpha_t) before normalising, which gives the same
normalised weights. Its ``DecisionTreeClassifier(max_depth=1)`` splits by Gini impurity:
``criterion="gini"`` reproduces it; the default ``"error"`` is the lecture's weak learner.
A perfect stump (e_t = 0) would give alpha_t = inf: e_t is clipped to [eps, 1 - eps]
(float eps), where scikit-learn stops boosting instead.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from fnn.classic import stumps
from fnn.util import validate


class AdaBoost(NamedTuple):
    """A trained AdaBoost ensemble of T stumps.

    stumps: ``stumps.Stump`` with fields stacked (T,). alphas: (T,) alpha_t.
    errors: (T,) weighted errors e_t. normalisers: (T,) Z_t. weights: (T, N) the
    sample weights each round's stump was fitted on (w_1 = 1/N).
    """

    stumps: stumps.Stump
    alphas: jax.Array
    errors: jax.Array
    normalisers: jax.Array
    weights: jax.Array


def _labels(where: str, X, y):
    stumps.check(where, X, y, "y")
    values = validate.concrete(y)
    if values is not None and not set(values.tolist()) <= {-1, 1}:
        raise ValueError(f"{where}: expected labels in {{-1, +1}}, got values {sorted(set(values.tolist()))[:5]}; "
                         f"map 0/1 labels with 2 y - 1")
    return jnp.asarray(y).astype(X.dtype)


def fit(X, y, *, rounds: int = 50, criterion: str = "error") -> AdaBoost:
    r"""Run T = ``rounds`` rounds of AdaBoost with stumps (the algorithm in the module docstring).

    Args:
        X: (N, D) floating inputs, N >= 2. y: (N,) labels in {-1, +1}.
        rounds: T. criterion: the stumps' split criterion, "error" (the lecture's) or "gini"
            (scikit-learn's trees).
    Returns:
        ``AdaBoost(stumps (T,), alphas, errors, normalisers, weights (T, N))``.
    """
    signs = _labels("adaboost.fit", X, y)
    validate.integer("adaboost.fit", "rounds", rounds)
    validate.choice("adaboost.fit", "criterion", criterion, stumps.CRITERIA)
    eps = float(jnp.finfo(X.dtype).eps)

    def round_(w, _):
        h = stumps.fit_classifier(X, signs, w, criterion=criterion)
        margin = signs * stumps.predict(h, X)                       # +1 right, -1 wrong
        error = jnp.sum(jnp.where(margin < 0, w, 0.0))
        e = jnp.clip(error, eps, 1 - eps)
        alpha = 0.5 * jnp.log((1 - e) / e)
        u = w * jnp.exp(-alpha * margin)
        Z = jnp.sum(u)
        return u / Z, (h, alpha, error, Z, w)

    w1 = jnp.full(X.shape[0], 1 / X.shape[0], X.dtype)
    _, history = jax.lax.scan(round_, w1, length=rounds)
    return AdaBoost(*history)


def staged_decision(model: AdaBoost, X):
    """F_t(X) = sum_{s <= t} alpha_s h_s(X) after each round, (T, N)."""
    validate.ndim("adaboost.staged_decision", "X", X, 2, "X is (N, D), one sample per row")
    votes = jax.vmap(stumps.predict, in_axes=(0, None))(model.stumps, X)
    return jnp.cumsum(model.alphas[:, None] * votes, axis=0)


def staged_predict(model: AdaBoost, X):
    """H_t(X) = sign(F_t(X)) in {-1, +1} after each round, (T, N) int32 (a score of 0 predicts -1)."""
    return jnp.where(staged_decision(model, X) > 0, 1, -1).astype(jnp.int32)


def exponential_loss(model: AdaBoost, X, y):
    r"""Training exponential loss after each round, (T,).

    Math:
        L_t = (1/N) sum_n exp(-y_n F_t(x_n)); on the training set L_t = Z_1 ... Z_t.
    """
    signs = _labels("adaboost.exponential_loss", X, y)
    return jnp.mean(jnp.exp(-signs * staged_decision(model, X)), axis=1)
