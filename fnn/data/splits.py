"""Random train / validation / test splits drawn from a key."""

from __future__ import annotations

from typing import NamedTuple

import jax

from fnn import validate


class Split(NamedTuple):
    """Three ``(X, y)`` pairs."""

    train: tuple
    val: tuple
    test: tuple


def train_val_test_split(key, X, y, *, val_fraction: float = 0.2, test_fraction: float = 0.2) -> Split:
    """Shuffle with ``key`` and cut into train, validation and test parts.

    The validation and test parts get round(fraction * N) samples each, the rest trains.
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
    order = jax.random.permutation(key, n)
    parts = order[n_val + n_test :], order[:n_val], order[n_val : n_val + n_test]
    return Split(*((X[idx], y[idx]) for idx in parts))
