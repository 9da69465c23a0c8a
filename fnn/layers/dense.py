r"""Fully connected (dense) layer, Z = X W + b, over the last axis of X."""

from __future__ import annotations

import dataclasses
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp

from fnn import initializers
from fnn.util import random_draws, validate


BIAS_INITIALIZERS = ("zeros", "pytorch_uniform")


class DenseParams(NamedTuple):
    """Parameters of a dense layer: W (D_in, D_out) and b (D_out,)."""

    W: jax.Array
    b: jax.Array


def pytorch_uniform_bias(key, d_in: int, d_out: int, dtype):
    """PyTorch's ``nn.Linear`` bias, b ~ U(-1/sqrt(D_in), 1/sqrt(D_in)) (variance 1 / (3 D_in))."""
    limit = 1 / math.sqrt(d_in)
    return random_draws.uniform(key, (d_out,), dtype, -limit, limit)


def init(key, d_in: int, d_out: int, *, initializer=initializers.he_normal, bias: str = "zeros",
         dtype=jnp.float32):
    """Draw W with ``initializer``; b = 0, or PyTorch's U(+-1/sqrt(D_in)) with ``bias="pytorch_uniform"``.

    Args:
        key: PRNG key (split between W and b).
        d_in, d_out: input and output widths.
        initializer: ``(key, shape, dtype) -> Array`` for W (He normal by default).
        bias: "zeros" or "pytorch_uniform".
        dtype: floating dtype of W and b.
    Returns:
        DenseParams(W (d_in, d_out), b (d_out,)).
    """
    d_in, d_out = validate.integer("dense.init", "d_in", d_in), validate.integer("dense.init", "d_out", d_out)
    validate.choice("dense.init", "bias", bias, BIAS_INITIALIZERS)
    key_W, key_b = jax.random.split(key)
    b = jnp.zeros((d_out,), dtype) if bias == "zeros" else pytorch_uniform_bias(key_b, d_in, d_out, dtype)
    return DenseParams(initializer(key_W, (d_in, d_out), dtype), b)


def apply(params: DenseParams, X):
    r"""Affine map of a batch, over the last axis (any leading axes: batch, time, pixels).

    Math:
        Z = X W + b  (row n: z_n = x_n W + b).
    Shapes:
        X (N, ..., D_in), W (D_in, D_out), b (D_out,) -> Z (N, ..., D_out).
    """
    if X.ndim < 2:
        raise ValueError(f"dense.apply: expected X with at least 2 dimensions (N, ..., D_in), got X.shape={X.shape}")
    if X.shape[-1] != params.W.shape[0]:
        raise ValueError(
            f"dense.apply: expected X with last dim {params.W.shape[0]} (W.shape[0]), "
            f"got X.shape={X.shape}"
        )
    return X @ params.W + params.b


@dataclasses.dataclass(frozen=True)
class Dense:
    """Layer spec: a dense layer of ``units`` outputs.

    Attributes:
        units: D_out.
        initializer: a name from ``fnn.initializers.BY_NAME`` for W.
        bias: "zeros" or "pytorch_uniform" (with ``initializer="pytorch_uniform"``: PyTorch's nn.Linear).
    """

    deterministic = True

    units: int
    initializer: str = "he_normal"
    bias: str = "zeros"

    def __post_init__(self):
        object.__setattr__(self, "units", validate.integer("Dense", "units", self.units))
        initializers.get(self.initializer)
        validate.choice("Dense", "bias", self.bias, BIAS_INITIALIZERS)

    def init(self, key, in_shape, *, dtype):
        if len(in_shape) < 1:
            raise ValueError(f"Dense: expected an input shape (..., D_in), got {in_shape}")
        params = init(key, in_shape[-1], self.units, initializer=initializers.get(self.initializer),
                      bias=self.bias, dtype=dtype)
        return (*in_shape[:-1], self.units), params, ()

    def apply(self, params, state, X, *, train, key=None):
        return apply(params, X), state

    def weight_mask(self, params):
        return DenseParams(W=True, b=False)
