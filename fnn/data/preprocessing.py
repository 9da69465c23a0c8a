"""Feature scaling fitted on the training split only, then applied to every split.

Fitting on the training split alone keeps test statistics out of training. A feature
constant on the training split (e.g. a border pixel of digits that is always 0) has
spread 0; it is left unscaled (divided by 1) rather than divided by zero.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from fnn.util import validate


class Scaler(NamedTuple):
    """x' = (x - shift) / scale, featurewise."""

    shift: jax.Array
    scale: jax.Array


def _safe(spread):
    return jnp.where(spread > 0, spread, jnp.ones_like(spread))


def fit_standardize(X) -> Scaler:
    """Scaler to zero mean and unit (biased) standard deviation per feature: (x - mu) / sigma."""
    validate.ndim("fit_standardize", "X", X, 2)
    return Scaler(jnp.mean(X, axis=0), _safe(jnp.std(X, axis=0)))


def fit_min_max(X) -> Scaler:
    """Scaler to [0, 1] per feature: (x - min) / (max - min)."""
    validate.ndim("fit_min_max", "X", X, 2)
    low = jnp.min(X, axis=0)
    return Scaler(low, _safe(jnp.max(X, axis=0) - low))


def transform(scaler: Scaler, X):
    """Apply a fitted scaler to any split."""
    if X.shape[-1:] != scaler.shift.shape:
        raise ValueError(
            f"preprocessing.transform: expected X with {scaler.shift.shape[0]} features "
            f"(as fitted), got X.shape={X.shape}"
        )
    return _scaled(X, scaler.shift, scaler.scale)


@jax.jit
def _scaled(X, shift, scale):
    """(X - shift) / scale in one compiled program (op by op it compiles two per shape of X)."""
    return (X - shift) / scale


def inverse_transform(scaler: Scaler, X):
    """Undo ``transform``: x = x' scale + shift."""
    return X * scaler.scale + scaler.shift


def fit_identity(X) -> Scaler:
    """The scaler that changes nothing (x' = x), for data used as published."""
    validate.ndim("fit_identity", "X", X, 2)
    return Scaler(jnp.zeros(X.shape[-1:], X.dtype), jnp.ones(X.shape[-1:], X.dtype))


FITTERS = {"standardize": fit_standardize, "min_max": fit_min_max, "none": fit_identity}
