"""Random splits drawn from a key: train / validation / test (optionally stratified), k-fold."""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from fnn.data import batching
from fnn.util import validate


class Split(NamedTuple):
    """Three ``(X, y)`` pairs."""

    train: tuple
    val: tuple
    test: tuple


def _class_members(key, y) -> list[np.ndarray]:
    """The indices of each class, each list shuffled with its own subkey."""
    y = np.asarray(y)
    members = []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        members.append(idx[np.asarray(jax.random.permutation(jax.random.fold_in(key, int(c)), len(idx)))])
    return members


def _stratified_order(key, y) -> np.ndarray:
    """A permutation in which every class is spread evenly: class members are shuffled, then
    interleaved by their relative position (i + 1/2) / n_c, so any contiguous segment holds
    each class in proportion (to within one sample)."""
    class_key, tie_key = jax.random.split(key)
    position = np.empty(len(y))
    for idx in _class_members(class_key, y):
        position[idx] = (np.arange(len(idx)) + 0.5) / len(idx)
    tie_break = np.asarray(jax.random.uniform(tie_key, (len(y),)))
    return np.lexsort((tie_break, position))


def train_val_test_split(
    key, X, y, *, val_fraction: float = 0.2, test_fraction: float = 0.2, stratify: bool = False
) -> Split:
    """Shuffle with ``key`` and cut into train, validation and test parts.

    The validation and test parts get round(fraction * N) samples each, the rest trains.
    With ``stratify`` every part holds each class in (nearly) its overall proportion.
    """
    for name, value in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        validate.number_in("train_val_test_split", name, value, 0.0, 1.0, high_open=True)
    n = X.shape[0]
    if y.shape[0] != n:
        raise ValueError(f"train_val_test_split: expected as many labels as samples, got X {X.shape} and y {y.shape}")
    n_val, n_test = round(val_fraction * n), round(test_fraction * n)
    if n - n_val - n_test < 1:
        raise ValueError(
            f"train_val_test_split: expected val_fraction + test_fraction to leave training "
            f"samples, got {val_fraction} + {test_fraction} of {n} samples"
        )
    on_device = isinstance(X, jax.Array) and isinstance(y, jax.Array)
    if on_device and not stratify:
        return Split(*_shuffled_parts(key, X, y, n_val, n_test))
    # In the class-spread order every contiguous segment holds each class in proportion.
    order = _stratified_order(key, y) if stratify else np.asarray(jax.random.permutation(key, n))
    if on_device:
        return Split(*_gathered_parts(X, y, jnp.asarray(order), n_val, n_test))
    return Split(*((X[idx], y[idx]) for idx in _cut(order, n_val, n_test)))  # NumPy rows keep their dtype


def _cut(order, n_val: int, n_test: int) -> tuple:
    """The rows of train, validation and test: ``order`` cut after n_val + n_test and after n_val."""
    return order[n_val + n_test :], order[:n_val], order[n_val : n_val + n_test]


@functools.partial(jax.jit, static_argnums=(3, 4))
def _gathered_parts(X, y, order, n_val: int, n_test: int):
    """((X, y) of train, validation, test) in one compiled program: run op by op, the gathers of
    a split compiled about 25 small programs at a cold ``fnn train`` (``docs/benchmarks.md``)."""
    return tuple((X[idx], y[idx]) for idx in _cut(order, n_val, n_test))


@functools.partial(jax.jit, static_argnums=(3, 4))
def _shuffled_parts(key, X, y, n_val: int, n_test: int):
    """``_gathered_parts`` of the rows in ``jax.random.permutation(key, N)``'s order."""
    return _gathered_parts(X, y, batching.permutation(key, X.shape[0]), n_val, n_test)


def kfold_indices(key, n: int, k: int, *, y=None) -> list[tuple[np.ndarray, np.ndarray]]:
    """k folds of a shuffled 0..n-1: ``[(train_indices, validation_indices)] * k``.

    The validation parts partition the samples (each sample is validated exactly once) and
    differ in size by at most one; with labels ``y`` every fold holds each class in
    (nearly) its overall proportion (stratified k-fold).
    """
    k = validate.integer("kfold_indices", "k", k, 2, n)
    if y is not None and len(y) != n:
        raise ValueError(f"kfold_indices: expected {n} labels, got {len(y)}")
    # Deal the samples round-robin: class by class (each shuffled) when stratified, the offset
    # running on from class to class so fold sizes also differ by at most one.
    groups = _class_members(key, y) if y is not None else [np.asarray(jax.random.permutation(key, n))]
    dealt = np.concatenate(groups)
    fold_of = np.arange(n) % k
    folds = [np.sort(dealt[fold_of == i]) for i in range(k)]
    return [(np.sort(np.concatenate(folds[:i] + folds[i + 1 :])), fold) for i, fold in enumerate(folds)]


def class_subset(X, y, classes, *, per_class: int | None = None) -> tuple:
    """The rows of the given classes, labels renumbered by their position: ``classes[k] -> k``.

    With ``per_class`` only the first ``per_class`` rows of each class are kept, in the data's
    order (a shuffled split's order makes them a random sample); rows keep their order.

    Raises:
        ValueError: a class with fewer than ``per_class`` rows, naming it and its count.
    """
    labels = np.asarray(y)
    kept = []
    for c in classes:
        rows = np.flatnonzero(labels == c)
        if per_class is not None and len(rows) < per_class:
            raise ValueError(f"class_subset: expected at least {per_class} rows of class {c}, got {len(rows)}")
        kept.append(rows[:per_class])
    rows = np.sort(np.concatenate(kept))
    renumber = {c: k for k, c in enumerate(classes)}
    return jnp.asarray(np.asarray(X)[rows]), jnp.asarray([renumber[c] for c in labels[rows].tolist()], y.dtype)
