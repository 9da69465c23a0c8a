import jax
import jax.numpy as jnp
from hypothesis import given
from hypothesis import strategies as st

from fnn.layers import dense as fd
from fnn.util import random_draws
from reference.gradcheck import SMOOTH_TOLERANCE
from reference.layers import dense as rd
from reference.vjp import custom_vjp
from tests.reference import harness

SHAPES = [(1, 1, 1), (3, 4, 2), (8, 6, 5)]


def layer(shape, seed):
    n, d_in, d_out = shape
    k1, k2, k3 = jax.random.split(jax.random.key(seed), 3)
    params = fd.DenseParams(random_draws.normal(k1, (d_in, d_out), jnp.float64),
                            random_draws.normal(k2, (d_out,), jnp.float64))
    return params, random_draws.normal(k3, (n, d_in), jnp.float64)


@given(shape=st.sampled_from(SHAPES), seed=st.integers(0, 2**16))
def test_backward_equals_vjp_of_the_fnn_forward(shape, seed):
    params, X = layer(shape, seed)
    harness.assert_matches_vjp(fd.apply, (params, X), lambda dZ: rd.backward(rd.forward(params, X)[1], dZ),
                               jax.random.key(seed + 1))


def test_backward_matches_finite_differences(key):
    params, X = layer((5, 4, 3), 1)
    dZ = harness.random_cotangent(key, (5, 3))
    hand = rd.backward(rd.forward(params, X)[1], dZ)
    harness.assert_matches_finite_differences(fd.apply, (params, X), hand, dZ, SMOOTH_TOLERANCE)


def test_backward_is_the_lecture_formula(key):
    params, X = layer((4, 3, 2), 2)
    dZ = harness.random_cotangent(key, (4, 2))
    (dparams, dX) = rd.backward(rd.forward(params, X)[1], dZ)
    harness.assert_close(dparams.W, X.T @ dZ)
    harness.assert_close(dparams.b, dZ.sum(axis=0))
    harness.assert_close(dX, dZ @ params.W.T)


def test_backward_in_the_middle_of_a_network(key):
    params, _ = layer((1, 6, 4), 3)
    hand = custom_vjp(rd.forward, rd.backward)
    harness.assert_same_gradient_in_a_network(fd.apply, hand, params, 6, 4, key)
