"""Data sets: scikit-learn's bundled digits, and 2-D toy problems generated from a key.

Every loader returns ``Dataset(X, y, num_classes)`` with X float32 of shape (N, D) and
integer labels y of shape (N,). Nothing is downloaded: digits ships inside scikit-learn,
the toy sets are drawn with ``jax.random`` from the caller's key.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from fnn import validate


class Dataset(NamedTuple):
    """Samples X (N, D), integer labels y (N,), and the number of classes."""

    X: jax.Array
    y: jax.Array
    num_classes: int


def digits() -> Dataset:
    """The 8x8 handwritten digits (1797 samples, 64 pixels valued 0..16, 10 classes)."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return Dataset(jnp.asarray(bunch.data, jnp.float32), jnp.asarray(bunch.target, jnp.int32), 10)


def _check_size(where: str, n: int, noise: float):
    if not isinstance(n, int) or n < 2:
        raise ValueError(f"{where}: expected n to be an int >= 2, got {n!r}")
    validate.number_in(where, "noise", noise, 0.0)


def xor(key, n: int = 1000, *, noise: float = 0.25) -> Dataset:
    """XOR: Gaussian blobs at the four corners (+-1, +-1); class 1 where the signs differ."""
    _check_size("xor", n, noise)
    corner_key, noise_key = jax.random.split(key)
    corners = jax.random.bernoulli(corner_key, 0.5, (n, 2))
    centres = jnp.where(corners, 1.0, -1.0).astype(jnp.float32)
    X = centres + noise * jax.random.normal(noise_key, (n, 2), jnp.float32)
    return Dataset(X, (corners[:, 0] != corners[:, 1]).astype(jnp.int32), 2)


def two_spirals(key, n: int = 1000, *, noise: float = 0.05, turns: float = 1.5) -> Dataset:
    """Two interleaved Archimedean spirals, r = t, angle = 2 pi turns t + pi c, t in (0, 1]."""
    _check_size("two_spirals", n, noise)
    label_key, t_key, noise_key = jax.random.split(key, 3)
    y = jax.random.bernoulli(label_key, 0.5, (n,)).astype(jnp.int32)
    t = jax.random.uniform(t_key, (n,), jnp.float32, minval=0.05, maxval=1.0)
    angle = 2 * math.pi * turns * t + math.pi * y.astype(jnp.float32)
    X = jnp.stack([t * jnp.cos(angle), t * jnp.sin(angle)], axis=1)
    return Dataset(X + noise * jax.random.normal(noise_key, (n, 2), jnp.float32), y, 2)


def moons(key, n: int = 1000, *, noise: float = 0.1) -> Dataset:
    """Two interleaving half circles: (cos u, sin u) and (1 - cos u, 1/2 - sin u), u in [0, pi]."""
    _check_size("moons", n, noise)
    label_key, u_key, noise_key = jax.random.split(key, 3)
    y = jax.random.bernoulli(label_key, 0.5, (n,)).astype(jnp.int32)
    u = jax.random.uniform(u_key, (n,), jnp.float32, maxval=math.pi)
    upper = jnp.stack([jnp.cos(u), jnp.sin(u)], axis=1)
    lower = jnp.stack([1 - jnp.cos(u), 0.5 - jnp.sin(u)], axis=1)
    X = jnp.where(y[:, None] == 0, upper, lower)
    return Dataset(X + noise * jax.random.normal(noise_key, (n, 2), jnp.float32), y, 2)


GENERATED = {"xor": xor, "spirals": two_spirals, "moons": moons}
NAMES = ("digits", *GENERATED)


def load(name: str, *, key) -> Dataset:
    """Load the data set called ``name`` (one of ``NAMES``); ``key`` draws generated sets."""
    validate.choice("datasets.load", "dataset", name, NAMES)
    if name == "digits":
        return digits()
    return GENERATED[name](key)


def class_counts(y, num_classes: int) -> np.ndarray:
    """Number of samples of each class."""
    return np.bincount(np.asarray(y), minlength=num_classes)
