import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fnn import activations as fa
from fnn import losses as fl
from reference import losses as rl
from reference.audit import KINK_TOLERANCE, KINKED, SMOOTH_TOLERANCE, away_from_kinks
from tests.reference import harness

SHAPES = [(1, 2), (3, 4), (8, 5)]


def case(name, shape, seed):
    k1, k2, k3 = jax.random.split(jax.random.key(seed), 3)
    logits = 3 * jax.random.normal(k1, shape, jnp.float64)
    if name in ("softmax_cross_entropy", "multiclass_hinge"):
        return logits, jax.random.randint(k2, shape[:1], 0, shape[1])
    if name == "binary_log_loss":
        return logits[:, :1], jax.random.bernoulli(k2, 0.5, (shape[0], 1)).astype(jnp.float64)
    return logits, logits + away_from_kinks(jax.random.normal(k3, shape, jnp.float64))


@given(name=st.sampled_from(sorted(rl.GRADIENTS)), shape=st.sampled_from(SHAPES), seed=st.integers(0, 2**16))
def test_gradient_equals_autodiff_of_the_fnn_loss(name, shape, seed):
    logits, y = case(name, shape, seed)
    harness.assert_close(jax.jit(rl.gradient(name))(logits, y), jax.grad(fl.get(name))(logits, y))


@pytest.mark.parametrize("name", sorted(rl.GRADIENTS))
def test_gradient_matches_finite_differences(name):
    logits, y = case(name, (6, 4), 11)
    loss = fl.get(name)
    tolerance = KINK_TOLERANCE if name in KINKED else SMOOTH_TOLERANCE
    dY = harness.random_cotangent(jax.random.key(5), ())
    harness.assert_matches_finite_differences(lambda z: loss(z, y), (logits,), (dY * rl.gradient(name)(logits, y),),
                                              dY, tolerance)


@given(shape=st.sampled_from(SHAPES), seed=st.integers(0, 2**16))
def test_fused_softmax_cross_entropy_is_s_minus_y_over_n_and_equals_the_unfused_route(shape, seed):
    logits, labels = case("softmax_cross_entropy", shape, seed)
    y = jax.nn.one_hot(labels, shape[1], dtype=jnp.float64)
    fused = rl.softmax_cross_entropy_grad(logits, labels)
    np.testing.assert_allclose(fused, (fa.softmax(logits) - y) / shape[0], rtol=1e-15)
    harness.assert_close(rl.softmax_cross_entropy_grad_unfused(logits, labels), fused)
    harness.assert_close(rl.softmax_cross_entropy_grad(logits, y), fused)


@given(shape=st.sampled_from(SHAPES), seed=st.integers(0, 2**16))
def test_fused_binary_log_loss_is_sigma_minus_y_over_n_and_equals_the_unfused_route(shape, seed):
    logits, y = case("binary_log_loss", shape, seed)
    fused = rl.binary_log_loss_grad(logits, y)
    np.testing.assert_allclose(fused, (fa.sigmoid(logits) - y) / shape[0], rtol=1e-15)
    harness.assert_close(rl.binary_log_loss_grad_unfused(logits, y), fused)


def test_cross_entropy_probability_gradient_is_minus_y_over_n_s(key):
    s = fa.softmax(jax.random.normal(key, (3, 4)))
    labels = jnp.array([0, 3, 1])
    ce_of_probabilities = lambda s: -jnp.sum(jax.nn.one_hot(labels, 4, dtype=s.dtype) * jnp.log(s)) / 3  # noqa: E731
    harness.assert_close(rl.cross_entropy_probability_grad(s, labels), jax.grad(ce_of_probabilities)(s))


def test_fused_gradients_stay_exact_for_logits_of_1e4():
    logits = jnp.array([[1e4, -1e4, 0.0]])
    np.testing.assert_array_equal(rl.softmax_cross_entropy_grad(logits, jnp.array([1])), [[1.0, -1.0, 0.0]])
    np.testing.assert_array_equal(rl.binary_log_loss_grad(jnp.array([[1e4]]), jnp.array([[0.0]])), [[1.0]])


def test_unknown_loss():
    with pytest.raises(ValueError, match=r"reference.losses.gradient: unknown loss 'nll'"):
        rl.gradient("nll")
