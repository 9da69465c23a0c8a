import jax
import jax.numpy as jnp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fnn.layers import batchnorm as fb
from fnn.util import random_draws
from reference.gradcheck import SMOOTH_TOLERANCE
from reference.layers import batchnorm as rb
from reference.vjp import custom_vjp
from tests.reference import harness

SHAPES = [(2, 1), (5, 3), (16, 7)]


def case(shape, seed):
    k1, k2, k3 = jax.random.split(jax.random.key(seed), 3)
    params = fb.BatchNormParams(1 + 0.3 * random_draws.normal(k1, shape[1:], jnp.float64),
                                random_draws.normal(k2, shape[1:], jnp.float64))
    return params, 2 + 3 * random_draws.normal(k3, shape, jnp.float64)


def fnn_forward(params, x):
    return fb.apply(params, fb.init_state(x.shape[1], dtype=x.dtype), x, train=True)[0]


@pytest.mark.parametrize("backward", [rb.backward, rb.backward_steps], ids=["compact", "paper steps"])
@given(shape=st.sampled_from(SHAPES), seed=st.integers(0, 2**16))
def test_backward_equals_vjp_of_the_fnn_forward(backward, shape, seed):
    params, x = case(shape, seed)
    harness.assert_matches_vjp(fnn_forward, (params, x), lambda dy: backward(rb.forward(params, x)[1], dy),
                               jax.random.key(seed + 1))


@given(shape=st.sampled_from(SHAPES), seed=st.integers(0, 2**16))
def test_paper_steps_and_compact_formula_agree(shape, seed):
    params, x = case(shape, seed)
    cache = rb.forward(params, x)[1]
    dy = harness.random_cotangent(jax.random.key(seed), shape)
    harness.assert_close(rb.backward_steps(cache, dy), rb.backward(cache, dy))


def test_forward_equals_fnn_and_backward_matches_finite_differences(key):
    params, x = case((6, 4), 3)
    y, cache = rb.forward(params, x)
    harness.assert_close(y, fnn_forward(params, x))
    dy = harness.random_cotangent(key, (6, 4))
    harness.assert_matches_finite_differences(fnn_forward, (params, x), rb.backward(cache, dy), dy, SMOOTH_TOLERANCE)


def test_backward_in_the_middle_of_a_network(key):
    params, _ = case((1, 6), 5)
    harness.assert_same_gradient_in_a_network(fnn_forward, custom_vjp(rb.forward, rb.backward), params, 6, 6, key)
