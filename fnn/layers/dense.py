r"""Fully connected (dense) layer, Z = X W + b."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from fnn import initializers, validate


class DenseParams(NamedTuple):
    """Parameters of a dense layer: W (D_in, D_out) and b (D_out,)."""

    W: jax.Array
    b: jax.Array


def init(key, d_in: int, d_out: int, *, initializer=initializers.he_normal, dtype=jnp.float32):
    """Draw W with ``initializer`` and set b = 0.

    Args:
        key: PRNG key for W.
        d_in, d_out: input and output widths.
        initializer: ``(key, shape, dtype) -> Array`` for W (He normal by default).
        dtype: floating dtype of W and b.
    Returns:
        DenseParams(W (d_in, d_out), b (d_out,)).
    """
    for name, value in (("d_in", d_in), ("d_out", d_out)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"dense.init: expected {name} to be a positive int, got {value!r}")
    return DenseParams(initializer(key, (d_in, d_out), dtype), jnp.zeros((d_out,), dtype))


def apply(params: DenseParams, X):
    r"""Affine map of a batch.

    Math:
        Z = X W + b  (row n: z_n = x_n W + b).
    Shapes:
        X (N, D_in), W (D_in, D_out), b (D_out,) -> Z (N, D_out).
    """
    validate.ndim("dense.apply", "X", X, 2, "X is (N, D_in): flatten images first")
    if X.shape[-1] != params.W.shape[0]:
        raise ValueError(
            f"dense.apply: expected X with last dim {params.W.shape[0]} (W.shape[0]), "
            f"got X.shape={X.shape}"
        )
    return X @ params.W + params.b
