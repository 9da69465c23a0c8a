import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn import initializers
from fnn.layers import dense
from fnn.util import random_draws


def test_apply_is_xw_plus_b(key):
    params = dense.init(key, 3, 2, dtype=jnp.float64)._replace(b=jnp.array([0.5, -1.0]))
    X = jnp.arange(12.0).reshape(4, 3)
    np.testing.assert_allclose(jax.jit(dense.apply)(params, X), np.asarray(X) @ np.asarray(params.W) + [0.5, -1.0])


def test_init_shapes_dtype_and_zero_bias(key):
    params = dense.init(key, 5, 7, initializer=initializers.glorot_uniform, dtype=jnp.float64)
    assert params.W.shape == (5, 7) and params.b.shape == (7,) and params.W.dtype == jnp.float64
    assert np.all(params.b == 0) and np.all(np.abs(params.W) <= np.sqrt(6 / 12))


def test_bad_input(key):
    params = dense.init(key, 784, 10, dtype=jnp.float64)
    with pytest.raises(ValueError, match=r"dense.apply: expected X with at least 2 dimensions \(N, ..., D_in\), got X.shape=\(784,\)"):
        dense.apply(params, jnp.ones((784,)))
    with pytest.raises(ValueError, match=r"dense.apply: expected X with last dim 784 \(W.shape\[0\]\), got X.shape=\(32, 28, 28\)"):
        dense.apply(params, jnp.ones((32, 28, 28)))
    with pytest.raises(ValueError, match=r"dense.apply: expected X with last dim 784 \(W.shape\[0\]\), got X.shape=\(32, 100\)"):
        jax.jit(dense.apply)(params, jnp.ones((32, 100)))
    with pytest.raises(ValueError, match=r"dense.init: expected d_out to be a positive int, got 0"):
        dense.init(key, 3, 0)


def test_apply_acts_on_the_last_axis_of_any_leading_axes(key):
    params = dense.init(key, 3, 2, dtype=jnp.float64)
    X = random_draws.normal(key, (4, 5, 3))
    np.testing.assert_allclose(dense.apply(params, X), np.einsum("ntd,de->nte", X, params.W) + params.b, rtol=1e-14)
    assert dense.Dense(2).init(key, (5, 3), dtype=jnp.float64)[0] == (5, 2)
