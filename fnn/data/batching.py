"""Minibatch order for an epoch, drawn on the device from a key."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from fnn.util import validate


def minibatch_indices(key, n: int, batch_size: int, *, shuffle: bool = True):
    """Return a (floor(n / B), B) array of sample indices: a random permutation, cut into rows.

    The last n mod B samples of the permutation sit out this epoch (other ones each epoch),
    so every minibatch is full and shapes stay static under ``jax.jit``. With
    ``shuffle=False`` the rows are 0..n-1 in order (the same minibatches every epoch; the
    last n mod B samples never train).
    """
    batch_size = validate.integer("minibatch_indices", "batch_size", batch_size)
    if n < batch_size:
        raise ValueError(
            f"minibatch_indices: expected at least batch_size={batch_size} samples, got n={n}; "
            "lower batch_size"
        )
    steps = n // batch_size
    order = jax.random.permutation(key, n) if shuffle else jnp.arange(n)
    return order[: steps * batch_size].reshape(steps, batch_size)
