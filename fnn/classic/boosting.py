r"""Gradient boosting: gradient descent in function space, one weak learner per step.

Math (the lecture's view, Friedman 2001):
    F_0 = argmin_c sum_n l(y_n, c)                  (the best constant)
    for t = 1..T:
        r_n = -dl(y_n, F)/dF at F = F_{t-1}(x_n)     (the antigradient, "pseudo-residual")
        h_t = weak learner fitted to r by least squares on the rows in the bag
        F_t = F_{t-1} + nu h_t                       (nu: the shrinkage, ``learning_rate``)
    loss "squared", l = (y - F)^2 / 2:  r = y - F, the residual; F_0 = mean(y).
    loss "log", y in {0, 1}, p = sigma(F), l = -y log p - (1 - y) log(1 - p):
        r = y - p; F_0 = log(p0 / (1 - p0)), p0 = mean(y) clipped to [eps, 1 - eps].
    Subsampling (Friedman 2002): each round fits h_t on max(1, floor(subsample N)) rows
    drawn without replacement (``key``); every row's F is updated.

Relation to scikit-learn's ``GradientBoosting*`` with ``max_depth=1`` (tested round by round):
- with stumps, the squared loss and ``subsample=1`` the two are the same algorithm.
- ``newton=True`` (stump learners only) replaces each leaf's mean of r by one Newton step,
  sum w r / sum w l'' (for the log-loss sum (y - p) / sum p (1 - p)): this is what
  ``GradientBoostingClassifier`` does, so its leaves differ from the plain antigradient fit
  (``newton=False``, the lecture's rule). For the squared loss l'' = 1 and both coincide.
- ``losses`` is the loss on every training row after each round: the mean squared error
  (scikit-learn's ``train_score_`` for squared_error, which doubles its half squared
  error) or the mean log-loss (half scikit-learn's ``train_score_``, the binomial
  deviance). With ``subsample < 1`` scikit-learn reports the in-bag rows only, and its
  bags come from its own random state, so only the distribution of the bags is shared.

Rounds run as one ``lax.scan``; every function is traceable (jit with the static arguments bound).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from fnn import activations, losses
from fnn.classic import stumps
from fnn.classic.learners import StumpLearner
from fnn.util import validate

LOSSES = ("squared", "log")


class Boosted(NamedTuple):
    """A boosted additive model F(x) = init + learning_rate sum_t h_t(x).

    init: () F_0. params: the weak learners' params, stacked on a leading round axis (T, ...).
    learning_rate: () nu. losses: (T,) training loss after each round (see the module docstring).
    """

    init: jax.Array
    params: Any
    learning_rate: jax.Array
    losses: jax.Array


def _check(X, y, loss, learner, rounds, learning_rate, subsample, newton, key) -> int:
    where = "boosting.fit"
    validate.choice(where, "loss", loss, LOSSES)
    if not all(callable(getattr(learner, name, None)) for name in ("fit", "predict")):
        raise TypeError(f"{where}: expected a weak learner with fit and predict (fnn.classic.learners), "
                        f"got {type(learner).__name__}")
    stumps.check(where, X, y, "y")
    validate.integer(where, "rounds", rounds)
    validate.number_in(where, "learning_rate", learning_rate, 0.0, low_open=True)
    validate.number_in(where, "subsample", subsample, 0.0, 1.0, low_open=True)
    if newton and not getattr(learner, "newton", False):
        raise ValueError(f"{where}: expected newton=False with {type(learner).__name__}, which takes no Newton "
                         f"step per region, got newton=True; use StumpLearner()")
    if key is None and (subsample < 1 or getattr(learner, "needs_key", False)):
        raise ValueError(f"{where}: expected a PRNG key (subsample={subsample}, learner "
                         f"{type(learner).__name__}), got key=None; pass key=jax.random.key(seed)")
    values = validate.concrete(y)
    if loss == "log" and values is not None and not set(np.unique(values).tolist()) <= {0, 1}:
        raise ValueError(f"{where}: expected labels in {{0, 1}} for loss 'log', got values {np.unique(values)[:5]}")
    return max(1, int(subsample * X.shape[0]))


def initial(y, loss: str):
    """F_0, the constant of least loss: mean(y) (squared), or the log-odds of mean(y) (log)."""
    if loss == "squared":
        return jnp.mean(y)
    eps = float(jnp.finfo(y.dtype).eps)
    p = jnp.clip(jnp.mean(y), eps, 1 - eps)
    return jnp.log(p / (1 - p))


def antigradient(y, F, loss: str):
    """r = -dl/dF: y - F (squared) or y - sigma(F) (log); and l'' (1, or p (1 - p))."""
    if loss == "squared":
        return y - F, jnp.ones_like(F)
    p = activations.sigmoid(F)
    return y - p, p * (1 - p)


def training_loss(y, F, loss: str):
    """Mean squared error (squared) or mean log-loss from the scores F (log)."""
    return losses.mse(F, y) if loss == "squared" else losses.binary_log_loss(F, y)


def in_bag(key, n: int, size: int, dtype):
    """Weights 1 on ``size`` of n rows drawn without replacement, 0 elsewhere (all 1 when size = n)."""
    if size == n:
        return jnp.ones(n, dtype)
    return jnp.zeros(n, dtype).at[jax.random.permutation(key, n)[:size]].set(1.0)


def fit(X, y, *, loss: str = "squared", learner=StumpLearner(), rounds: int = 100, learning_rate: float = 0.1,
        subsample: float = 1.0, newton: bool = False, key=None) -> Boosted:
    r"""Boost ``rounds`` weak learners on (X, y) (the algorithm in the module docstring).

    Args:
        X: (N, D) floating inputs. y: (N,) targets (loss "squared") or 0/1 labels (loss "log").
        loss: "squared" or "log". learner: a weak learner (``fnn.classic.learners``).
        rounds: T. learning_rate: nu in (0, inf). subsample: fraction of rows per round, (0, 1].
        newton: one Newton step per leaf instead of the mean of r (``StumpLearner`` only).
        key: PRNG key, needed for subsampling and for learners that draw (split per round).
    Returns:
        ``Boosted(init, params (T, ...), learning_rate, losses (T,))``.
    """
    size = _check(X, y, loss, learner, rounds, learning_rate, subsample, newton, key)
    y = jnp.asarray(y).astype(X.dtype)
    F0 = initial(y, loss)

    def round_(F, t):
        k = None if key is None else jax.random.fold_in(key, t)
        k_bag, k_fit = (None, None) if k is None else jax.random.split(k)
        r, curvature = antigradient(y, F, loss)
        w = in_bag(k_bag, X.shape[0], size, X.dtype)
        params = learner.fit(k_fit if getattr(learner, "needs_key", False) else None, X, r, w,
                             curvature if newton else None)
        F = F + learning_rate * learner.predict(params, X)
        return F, (params, training_loss(y, F, loss))

    _, (params, history) = jax.lax.scan(round_, jnp.full(X.shape[0], F0), jnp.arange(rounds))
    return Boosted(F0, params, jnp.asarray(learning_rate, X.dtype), history)


def staged_decision(learner, model: Boosted, X):
    """Scores F_t(X) after each round, (T, N): F_0 + nu sum_{s <= t} h_s(X); sigma(F_t) = P(y = 1) for log-loss."""
    return model.init + model.learning_rate * jnp.cumsum(_steps("boosting.staged_decision", learner, model, X), axis=0)


def decision(learner, model: Boosted, X):
    """The final scores F_T(X) = F_0 + nu sum_t h_t(X), (N,)."""
    return model.init + model.learning_rate * jnp.sum(_steps("boosting.decision", learner, model, X), axis=0)


def _steps(where: str, learner, model: Boosted, X):
    """h_t(X) of every round, (T, N)."""
    validate.ndim(where, "X", X, 2, "X is (N, D), one sample per row")
    return jax.vmap(learner.predict, in_axes=(0, None))(model.params, X)
