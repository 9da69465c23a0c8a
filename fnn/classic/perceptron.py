r"""Rosenblatt's perceptron: one threshold unit trained by the mistake-driven rule.

Labels are y in {-1, +1}. The bias is folded into the weights: every input gets a constant
1 appended, x~ = (x, 1), and w~ = (w, b), so the unit's score is w~ . x~ = w . x + b.
Training visits the samples in their given order, epoch after epoch, as one
``lax.while_loop`` over epochs around a ``lax.scan`` over samples, so a whole run is one
compiled loop (wrap it in ``jax.jit`` with ``max_epochs`` bound, e.g. by
``functools.partial``).

Reference: Rosenblatt (1958), the perceptron; Novikoff (1962), the convergence theorem.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from fnn.util import validate


class Perceptron(NamedTuple):
    """A perceptron run: weights, mistakes and whether an epoch went by without one.

    w: (D + 1,) weights with the bias last, w~ = (w, b).
    mistakes: () total number of updates over the run.
    epochs: () epochs run.
    converged: () True when the last epoch made no mistake (the data are separated by w~).
    epoch_mistakes: (max_epochs,) mistakes of each epoch, 0 after the last epoch run.
    """

    w: jax.Array
    mistakes: jax.Array
    epochs: jax.Array
    converged: jax.Array
    epoch_mistakes: jax.Array


def augment(X):
    """Append the constant input 1 that carries the bias: x~ = (x, 1), (N, D) -> (N, D + 1)."""
    return jnp.concatenate([X, jnp.ones((X.shape[0], 1), X.dtype)], axis=1)


def _check(where: str, X, y=None) -> None:
    validate.ndim(where, "X", X, 2, "X is (N, D), one sample per row")
    validate.floating(where, "X", X)
    if y is None:
        return
    validate.ndim(where, "y", y, 1, "y is (N,), one label in {-1, +1} per row")
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"{where}: expected as many labels as rows of X ({X.shape[0]}), got y.shape={y.shape}")
    values = validate.concrete(y)
    if values is not None and values.size and not set(values.tolist()) <= {-1, 1}:
        raise ValueError(f"{where}: expected labels in {{-1, +1}}, got values {sorted(set(values.tolist()))[:5]}; "
                         f"map 0/1 labels with 2 y - 1")


def fit(X, y, *, max_epochs: int = 100) -> Perceptron:
    r"""Train a perceptron from w~ = 0 until an epoch without mistakes, or ``max_epochs``.

    Math:
        for each epoch, for n = 1..N in order:
            if y_n w~ . x~_n <= 0:  w~ <- w~ + y_n x~_n     (a mistake; a score of 0 counts as one)
        Stop after the first epoch with no mistake (``converged``) or after ``max_epochs``.
        Novikoff: if a unit vector u~ has y_n u~ . x~_n >= gamma > 0 for every n and
        ||x~_n|| <= R, the rule makes at most (R / gamma)^2 mistakes, in any order. Both
        gamma and R are measured on the augmented inputs x~ = (x, 1) (the bias is a weight).
        On data no line separates (XOR) every epoch has a mistake and the run never converges.
    Shapes:
        X (N, D) floating; y (N,) labels in {-1, +1}, integer or floating.
    Returns:
        ``Perceptron(w (D + 1,), mistakes, epochs, converged, epoch_mistakes (max_epochs,))``.
    Raises:
        ValueError: X not (N, D), y not (N,) or (when concrete) not in {-1, +1}, max_epochs < 1.
    """
    _check("perceptron.fit", X, jnp.asarray(y))
    max_epochs = validate.integer("perceptron.fit", "max_epochs", max_epochs)
    Xa, t = augment(X), jnp.asarray(y).astype(X.dtype)

    def visit(w, sample):
        x, label = sample
        wrong = label * jnp.dot(w, x) <= 0
        return w + jnp.where(wrong, label, 0.0) * x, wrong

    def epoch(carry):
        done, w, history, _ = carry
        w, wrong = jax.lax.scan(visit, w, (Xa, t))
        mistakes = jnp.sum(wrong, dtype=jnp.int32)
        return done + 1, w, history.at[done].set(mistakes), mistakes

    def going(carry):
        done, _, _, last = carry
        return (done < max_epochs) & (last != 0)

    start = (jnp.int32(0), jnp.zeros(Xa.shape[1], X.dtype), jnp.zeros(max_epochs, jnp.int32), jnp.int32(-1))
    epochs, w, history, last = jax.lax.while_loop(going, epoch, start)
    return Perceptron(w, jnp.sum(history), epochs, last == 0, history)


def score(w, X):
    """The unit's score w~ . x~ = X w + b for each row, (N,)."""
    _check("perceptron.score", X)
    if w.shape != (X.shape[1] + 1,):
        raise ValueError(f"perceptron.score: expected w of shape ({X.shape[1] + 1},) (D + 1, bias last), "
                         f"got w.shape={w.shape}")
    return augment(X) @ w


def predict(w, X):
    """Labels sign(w~ . x~) in {-1, +1} (int32); a score of exactly 0 predicts -1 (training counts 0 as a mistake)."""
    return jnp.where(score(w, X) > 0, 1, -1).astype(jnp.int32)
