import re

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from fnn import losses as fl
from fnn.util import random_draws


@pytest.fixture
def batch(key):
    k1, k2, k3 = jax.random.split(key, 3)
    logits = 3 * random_draws.normal(k1, (6, 4))
    labels = jax.random.randint(k2, (6,), 0, 4)
    targets = random_draws.normal(k3, (6, 4))
    return logits, labels, targets


def test_softmax_cross_entropy_matches_optax_for_integer_and_one_hot_labels(batch):
    logits, labels, _ = batch
    expected = np.mean(optax.softmax_cross_entropy_with_integer_labels(logits, labels))
    np.testing.assert_allclose(jax.jit(fl.softmax_cross_entropy)(logits, labels), expected, rtol=1e-14)
    one_hot = jax.nn.one_hot(labels, 4, dtype=jnp.float64)
    np.testing.assert_allclose(fl.softmax_cross_entropy(logits, one_hot), expected, rtol=1e-14)


def test_binary_log_loss_matches_optax(batch):
    logits, labels, _ = batch
    y = (labels[:, None] % 2).astype(jnp.float64)
    expected = np.mean(optax.sigmoid_binary_cross_entropy(logits[:, :1], y))
    np.testing.assert_allclose(jax.jit(fl.binary_log_loss)(logits[:, :1], y), expected, rtol=1e-14)


def test_regression_losses_are_means_over_all_elements(batch):
    pred, _, y = batch
    r = np.asarray(pred - y)
    np.testing.assert_allclose(jax.jit(fl.mse)(pred, y), np.mean(r**2), rtol=1e-14)
    np.testing.assert_allclose(jax.jit(fl.mae)(pred, y), np.mean(np.abs(r)), rtol=1e-14)
    for delta in (0.5, 1.0, 2.0):
        expected = np.mean(optax.huber_loss(pred, y, delta=delta))
        np.testing.assert_allclose(fl.huber(pred, y, delta=delta), expected, rtol=1e-14)


def test_multiclass_hinge_on_the_lecture_example():
    # CS231n's example: scores (cat, car, frog) for a cat image = (3.2, 5.1, -1.7) -> 2.9.
    scores = jnp.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]])
    labels = jnp.array([0, 1, 2])
    per_sample = np.array([2.9, 0.0, 12.9])
    np.testing.assert_allclose(jax.jit(fl.multiclass_hinge)(scores, labels), per_sample.mean(), rtol=1e-13)


@pytest.mark.parametrize("name", ["softmax_cross_entropy", "multiclass_hinge"])
def test_classification_losses_stable_for_logits_of_1e4(name):
    logits = jnp.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0]])
    labels = jnp.array([1, 1])
    value, grad = jax.value_and_grad(fl.get(name))(logits, labels)
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    if name == "softmax_cross_entropy":
        np.testing.assert_allclose(value, 2e4 / 2)


def test_a_perfect_prediction_costs_plus_zero_not_minus_zero():
    # -sum(y log s) with every term 0 was -0.0, printed as "-0.0000" in the training table.
    for dtype in (jnp.float32, jnp.float64):
        loss = fl.softmax_cross_entropy(jnp.array([[100.0, 0.0]], dtype), jnp.array([0]))
        assert loss == 0.0 and not np.signbit(loss)


def test_binary_log_loss_stable_for_logits_of_1e4():
    logits = jnp.array([[1e4], [-1e4], [1e4]])
    y = jnp.array([[1.0], [1.0], [0.0]])
    value, grad = jax.value_and_grad(fl.binary_log_loss)(logits, y)
    np.testing.assert_allclose(value, 2e4 / 3)
    assert np.all(np.isfinite(grad))


def test_binary_log_loss_gradient_at_logit_0_and_1e4_equals_optax():
    # dL/da = (sigma(a) - y) / N: (0.5 - y) / N at a = 0 (the old max/abs form gave 0 and -0.5 / N).
    logits = jnp.array([0.0, 0.0, -0.0, 1e4, -1e4, 1e4, -1e4])
    y = jnp.array([0.0, 1.0, 0.3, 0.0, 0.0, 1.0, 1.0])
    oracle = lambda z: jnp.mean(optax.sigmoid_binary_cross_entropy(z, y))  # noqa: E731
    grad = jax.grad(fl.binary_log_loss)(logits, y)
    np.testing.assert_allclose(grad, jax.grad(oracle)(logits), rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(grad[:2], [0.5 / 7, -0.5 / 7])
    np.testing.assert_allclose(fl.binary_log_loss(logits, y), oracle(logits), rtol=1e-14)


def test_regression_and_hinge_gradients_at_their_kinks():
    pred, y = jnp.array([[1.0, 2.0, 0.0, 1e4]]), jnp.array([[1.0, 1.0, 1e4, 0.0]])
    np.testing.assert_array_equal(jax.grad(fl.mae)(pred, y), [[0.0, 0.25, -0.25, 0.25]])  # sign(0) = 0
    np.testing.assert_array_equal(jax.grad(fl.huber)(pred, y), [[0.0, 0.25, -0.25, 0.25]])  # |r| = delta: clip(r)
    # Margins m_j = s_j - s_y + 1 = (0, 0, 1.5) for y = 0: m_1 = 0 is inactive, as relu'(0) = 0.
    s, label = jnp.array([[0.0, -1.0, 0.5]]), jnp.array([0])
    np.testing.assert_array_equal(jax.grad(fl.multiclass_hinge)(s, label), [[-1.0, 0.0, 1.0]])


@pytest.mark.parametrize("shape", [(6, 4), (6, 2), (6, 1, 1), ()])
def test_binary_log_loss_rejects_logits_that_are_not_one_score_per_sample(shape):
    logits = jnp.zeros(shape)
    with pytest.raises(ValueError, match=r"binary_log_loss: expected \(N,\) or \(N, 1\) logits, one score per sample, "
                                         rf"got logits.shape={re.escape(str(shape))}; for K > 1 classes use softmax"):
        fl.binary_log_loss(logits, jnp.zeros(shape))
    fl.binary_log_loss(jnp.zeros((6,)), jnp.zeros((6,)))
    fl.binary_log_loss(jnp.zeros((6, 1)), jnp.zeros((6, 1)))


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: fl.softmax_cross_entropy(jnp.ones((3, 4)), jnp.array([0, 4, 1])),
         r"softmax_cross_entropy: expected labels in \[0, 4\), got values in \[0, 4\]"),
        (lambda: fl.softmax_cross_entropy(jnp.ones((3, 4)), jnp.ones((3, 5))),
         r"softmax_cross_entropy: expected integer labels \(N,\) or one-hot labels \(N, 4\)"),
        (lambda: fl.softmax_cross_entropy(jnp.ones((4,)), jnp.array([0])),
         r"softmax_cross_entropy: expected logits with 2 dimensions, got logits.shape=\(4,\)"),
        (lambda: fl.multiclass_hinge(jnp.ones((3, 4)), jnp.array([0, 1])),
         r"multiclass_hinge: expected as many labels as logits rows \(3\)"),
        (lambda: fl.mse(jnp.ones((3, 2)), jnp.ones((3,))),
         r"mse: expected targets of the same shape as predictions \(3, 2\), got targets.shape=\(3,\)"),
        (lambda: fl.huber(jnp.ones(3), jnp.ones(3), delta=0.0), r"huber: expected delta in \(0, inf\]"),
        (lambda: fl.get("hinge"), r"losses.get: unknown loss 'hinge'"),
    ],
)
def test_bad_input_names_function_and_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_integer_logits_are_a_type_error():
    with pytest.raises(TypeError, match=r"softmax_cross_entropy: expected logits with a floating dtype"):
        fl.softmax_cross_entropy(jnp.ones((2, 3), jnp.int32), jnp.array([0, 1]))


def test_label_range_cannot_be_checked_under_jit_but_shapes_still_are():
    jax.jit(fl.softmax_cross_entropy)(jnp.ones((2, 3)), jnp.array([0, 1]))
    with pytest.raises(ValueError, match="expected integer labels"):
        jax.jit(fl.softmax_cross_entropy)(jnp.ones((2, 3)), jnp.ones((2, 2)))
