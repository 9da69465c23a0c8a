import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fnn import activations as fa
from fnn import losses as fl
from fnn.util import random_draws
from reference import losses as rl
from reference.audit import KINKED, away_from_kinks
from reference.gradcheck import KINK_TOLERANCE, SMOOTH_TOLERANCE
from tests.reference import harness

SHAPES = [(1, 2), (3, 4), (8, 5)]


def case(name, shape, seed):
    k1, k2, k3 = jax.random.split(jax.random.key(seed), 3)
    logits = 3 * random_draws.normal(k1, shape, jnp.float64)
    if name in ("softmax_cross_entropy", "multiclass_hinge"):
        return logits, jax.random.randint(k2, shape[:1], 0, shape[1])
    if name == "binary_log_loss":
        return logits[:, :1], jax.random.bernoulli(k2, 0.5, (shape[0], 1)).astype(jnp.float64)
    return logits, logits + away_from_kinks(random_draws.normal(k3, shape, jnp.float64))


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
    s = fa.softmax(random_draws.normal(key, (3, 4)))
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


# Exactly at 0 (logit, residual, margin), at |r| = delta, and at +-1e4: where tie-splitting
# primitives (jnp.maximum, jnp.abs) would give autodiff a wrong or different derivative.
CLASS_LOGITS = jnp.array([[0.0, 0.0, 0.0], [1e4, -1e4, 0.0], [-1e4, 1e4, 1e4], [0.0, -1.0, 0.5], [1e4, -1e4, 9999.0]])
CLASS_LABELS = jnp.array([0, 1, 2, 0, 0])  # rows 4 and 5 have a margin exactly 0 (j = 1, resp. 2)
BINARY_LOGITS = jnp.array([0.0, 0.0, -0.0, 0.0, 1e4, 1e4, -1e4, -1e4])
BINARY_LABELS = jnp.array([0.0, 1.0, 0.0, 0.3, 0.0, 1.0, 0.0, 1.0])
RESIDUALS = jnp.array([[0.0, -0.0, 1e4, -1e4], [1.0, -1.0, 0.5, -0.5]])  # 0, +-1e4, +-delta
TARGETS = jnp.array([[0.0, 1.0, -2.0, 3.0], [0.0, 0.0, 0.0, 0.0]])
EDGE_TABLE = [
    ("softmax_cross_entropy", {}, CLASS_LOGITS, CLASS_LABELS),
    ("softmax_cross_entropy", {}, CLASS_LOGITS, jax.nn.one_hot(CLASS_LABELS, 3, dtype=jnp.float64)),
    ("multiclass_hinge", {}, CLASS_LOGITS, CLASS_LABELS),
    ("multiclass_hinge", {}, CLASS_LOGITS, jax.nn.one_hot(CLASS_LABELS, 3, dtype=jnp.float64)),
    ("binary_log_loss", {}, BINARY_LOGITS, BINARY_LABELS),
    ("binary_log_loss", {}, BINARY_LOGITS[:, None], BINARY_LABELS[:, None]),
    ("mse", {}, TARGETS + RESIDUALS, TARGETS),
    ("mae", {}, TARGETS + RESIDUALS, TARGETS),
    ("huber", {}, TARGETS + RESIDUALS, TARGETS),
    ("huber", {"delta": 0.5}, TARGETS + RESIDUALS, TARGETS),
]


@pytest.mark.parametrize("name, hyper, logits, y", EDGE_TABLE,
                         ids=[f"{row[0]}-{i}" for i, row in enumerate(EDGE_TABLE)])
def test_autodiff_equals_the_hand_derived_gradient_at_0_at_kinks_and_at_1e4(name, hyper, logits, y, key):
    value, vjp = jax.vjp(lambda z: fl.get(name)(z, y, **hyper), logits)
    dY = harness.random_cotangent(key, ())
    (auto,) = vjp(dY)
    hand = dY * rl.gradient(name)(logits, y, **hyper)
    assert np.isfinite(value) and np.all(np.isfinite(auto))
    np.testing.assert_allclose(auto, hand, rtol=1e-12, atol=1e-15)


def test_kink_conventions_are_exact():
    # binary log-loss at logit 0: (sigma(0) - y) / N = (0.5 - y) / 2.
    z = jnp.array([0.0, 0.0])
    np.testing.assert_array_equal(jax.grad(fl.binary_log_loss)(z, jnp.array([0.0, 1.0])), [0.25, -0.25])
    # mae at r = 0: sign(0) = 0.
    pred, y = jnp.array([[1.0, 2.0, 3.0]]), jnp.array([[1.0, 1.0, 4.0]])
    np.testing.assert_array_equal(jax.grad(fl.mae)(pred, y), [[0.0, 1 / 3, -1 / 3]])
    np.testing.assert_array_equal(rl.mae_grad(pred, y), [[0.0, 1 / 3, -1 / 3]])
    # hinge at margin m_1 = -1 - 0 + 1 = 0: inactive; m_2 = 1.5: active.
    s, label = jnp.array([[0.0, -1.0, 0.5]]), jnp.array([0])
    np.testing.assert_array_equal(jax.grad(fl.multiclass_hinge)(s, label), [[-1.0, 0.0, 1.0]])
    np.testing.assert_array_equal(rl.multiclass_hinge_grad(s, label), [[-1.0, 0.0, 1.0]])
    # huber at |r| = delta: both sides of the switch give clip(r) = +-delta.
    r = jnp.array([0.5, -0.5])
    np.testing.assert_array_equal(jax.grad(lambda p: fl.huber(p, jnp.zeros(2), delta=0.5))(r), [0.25, -0.25])
    np.testing.assert_array_equal(rl.huber_grad(r, jnp.zeros(2), delta=0.5), [0.25, -0.25])
