import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fnn import activations as fa
from reference import activations as ra
from reference.audit import KINK_TOLERANCE, KINKED, SMOOTH_TOLERANCE, away_from_kinks
from reference.vjp import custom_vjp
from tests.reference import harness

HYPER = {"maxout": {"pieces": 3}, "leaky_relu": {"slope": 0.2}, "elu": {"alpha": 1.5}, "swish": {"beta": 0.7}}
SHAPES = [(1, 3), (4, 6), (2, 3, 6)]


def inputs(name, shape, seed):
    a = 2 * jax.random.normal(jax.random.key(seed), shape, jnp.float64)
    return away_from_kinks(a)


@given(name=st.sampled_from(sorted(ra.BACKWARD)), shape=st.sampled_from(SHAPES), seed=st.integers(0, 2**16))
def test_backward_equals_vjp_of_the_fnn_forward(name, shape, seed):
    forward, backward = ra.pair(name, **HYPER.get(name, {}))
    a = inputs(name, shape, seed)
    harness.assert_matches_vjp(lambda a: forward(a)[0], (a,), lambda dY: (backward(forward(a)[1], dY),),
                               jax.random.key(seed + 1))


@pytest.mark.parametrize("name", sorted(ra.BACKWARD))
def test_backward_matches_finite_differences(name, key):
    forward, backward = ra.pair(name, **HYPER.get(name, {}))
    a = inputs(name, (4, 6), 3)
    dY = harness.random_cotangent(key, forward(a)[0].shape)
    tolerance = KINK_TOLERANCE if name in KINKED else SMOOTH_TOLERANCE
    harness.assert_matches_finite_differences(lambda a: forward(a)[0], (a,), (backward(forward(a)[1], dY),), dY, tolerance)


@pytest.mark.parametrize("name", sorted(ra.BACKWARD))
def test_backward_in_the_middle_of_a_network(name, key):
    forward, backward = ra.pair(name, **HYPER.get(name, {}))
    hand = custom_vjp(forward, backward)
    width_out = 2 if name == "maxout" else 6
    harness.assert_same_gradient_in_a_network(
        lambda p, h: forward(h)[0], lambda p, h: hand(h), (), 6, width_out, key)


@pytest.mark.parametrize("name", sorted(ra.DERIVATIVES))
def test_derivative_formula_equals_elementwise_grad(name):
    a = away_from_kinks(jnp.linspace(-5, 5, 41))
    g = fa.get(name)
    auto = jax.vmap(jax.grad(lambda x: g(x, **HYPER.get(name, {}))))(a)
    np.testing.assert_allclose(jax.jit(ra.derivative(name))(a, **HYPER.get(name, {})), auto, rtol=1e-13, atol=1e-15)


def test_kink_convention_matches_fnn():
    zero = jnp.zeros(3)
    np.testing.assert_array_equal(ra.relu_derivative(zero), jax.vmap(jax.grad(fa.relu))(zero))
    np.testing.assert_array_equal(ra.leaky_relu_derivative(zero), jax.vmap(jax.grad(fa.leaky_relu))(zero))


def test_softmax_jacobian_is_diag_s_minus_s_st_and_backward_applies_its_transpose(key):
    a = jax.random.normal(key, (3, 5))
    J = ra.softmax_jacobian(a)
    np.testing.assert_allclose(J, jax.vmap(jax.jacobian(fa.softmax))(a), rtol=1e-13, atol=1e-16)
    ds = harness.random_cotangent(jax.random.fold_in(key, 1), (3, 5))
    s = fa.softmax(a)
    np.testing.assert_allclose(ra.softmax_backward(ra.ActivationCache(a, s), ds),
                               jnp.einsum("nij,ni->nj", J, ds), rtol=1e-12, atol=1e-15)


def test_maxout_routes_the_gradient_to_the_winning_piece():
    a = jnp.array([[1.0, 5.0, 2.0, -1.0, -3.0, -2.0]])
    forward, backward = ra.pair("maxout", pieces=3)
    da = backward(forward(a)[1], jnp.array([[10.0, 20.0]]))
    np.testing.assert_array_equal(da, [[0.0, 10.0, 0.0, 20.0, 0.0, 0.0]])


def test_unknown_names():
    with pytest.raises(ValueError, match=r"reference.activations.pair: unknown activation 'gelu'"):
        ra.pair("gelu")
    with pytest.raises(ValueError, match=r"reference.activations.derivative: unknown activation 'softmax'"):
        ra.derivative("softmax")
