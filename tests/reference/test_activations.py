import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fnn import activations as fa
from fnn.util import random_draws
from reference import activations as ra
from reference.audit import KINKED, away_from_kinks
from reference.gradcheck import KINK_TOLERANCE, SMOOTH_TOLERANCE
from reference.vjp import custom_vjp
from tests.reference import harness

HYPER = {"maxout": {"pieces": 3}, "leaky_relu": {"slope": 0.2}, "elu": {"alpha": 1.5}, "swish": {"beta": 0.7}}
SHAPES = [(1, 3), (4, 6), (2, 3, 6)]


def inputs(name, shape, seed):
    a = 2 * random_draws.normal(jax.random.key(seed), shape, jnp.float64)
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
    a = random_draws.normal(key, (3, 5))
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


# Exactly at 0 (both signed zeros), at +-1e4, and at ties: where tie-splitting primitives
# (jnp.maximum, jnp.abs, jnp.max) would give autodiff a wrong or different derivative.
EDGE_POINTS = jnp.array([[-1e4, -0.0, 0.0, 1e4, 1.0, -1.0]])
EDGE_TABLE = [(name, {}, EDGE_POINTS) for name in sorted(ra.DERIVATIVES)] + [
    (name, HYPER[name], EDGE_POINTS) for name in ("leaky_relu", "elu", "swish")
] + [
    (name, {}, jnp.array([[0.0, 0.0, 0.0], [1e4, -1e4, 0.0], [1e4, 1e4, -1e4], [-1e4, -1e4, -1e4], [0.0, 1e4, -1e4]]))
    for name in ("softmax", "log_softmax")
] + [
    ("maxout", {"pieces": 3}, jnp.array([[0.0, 0.0, 0.0, 1e4, 1e4, -1e4], [-1e4, 0.0, 0.0, -1e4, -1e4, -1e4]])),
    ("maxout", {"pieces": 2}, jnp.array([[0.0, -0.0, -1e4, -1e4, 1e4, 1e4], [-0.0, 0.0, 1e4, -1e4, 0.0, 1e4]])),
]


def _edge_id(row):
    name, hyper, _ = row
    return "-".join([name] + [f"{k}={v}" for k, v in hyper.items()])


@pytest.mark.parametrize("name, hyper, a", EDGE_TABLE, ids=[_edge_id(row) for row in EDGE_TABLE])
def test_autodiff_equals_the_hand_derived_rule_at_0_at_1e4_and_at_ties(name, hyper, a, key):
    forward, backward = ra.pair(name, **hyper)
    h, vjp = jax.vjp(lambda a: forward(a)[0], a)
    assert np.all(np.isfinite(h))
    dY = harness.random_cotangent(key, h.shape)
    (auto,) = vjp(dY)
    hand = backward(forward(a)[1], dY)
    assert np.all(np.isfinite(auto))
    np.testing.assert_allclose(auto, hand, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", sorted(ra.DERIVATIVES))
def test_elementwise_grad_equals_the_derivative_formula_at_0_and_1e4(name):
    for hyper in ({}, HYPER.get(name, {})):
        auto = jax.vmap(jax.grad(lambda x: fa.get(name)(x, **hyper)))(EDGE_POINTS[0])
        np.testing.assert_allclose(auto, ra.derivative(name)(EDGE_POINTS[0], **hyper), rtol=1e-12, atol=1e-15)


def test_kink_conventions_are_exact_at_0_and_on_ties():
    zero = jnp.array([0.0, -0.0])
    for name, hyper, expected in (("relu", {}, 0.0), ("leaky_relu", {"slope": 0.2}, 0.2), ("elu", {"alpha": 1.5}, 1.5),
                                  ("elu", {}, 1.0), ("softplus", {}, 0.5)):
        auto = jax.vmap(jax.grad(lambda x: fa.get(name)(x, **hyper)))(zero)
        np.testing.assert_array_equal(auto, ra.derivative(name)(zero, **hyper))
        np.testing.assert_array_equal(auto, [expected, expected])
    a = jnp.array([[2.0, 5.0, 5.0, 5.0, -1.0, -1.0]])
    forward, backward = ra.pair("maxout", pieces=3)
    dY = jnp.array([[10.0, 20.0]])
    expected = [[0.0, 10.0, 0.0, 20.0, 0.0, 0.0]]  # the first winner of each group takes all
    np.testing.assert_array_equal(backward(forward(a)[1], dY), expected)
    np.testing.assert_array_equal(jax.vjp(lambda a: fa.maxout(a, pieces=3), a)[1](dY)[0], expected)
