import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn.layers import dropout
from fnn.util import random_draws

N = 400_000  # the mean of N kept-or-zeroed units is within ~0.2% (4 sigma) of its expectation


@pytest.mark.parametrize("rate", [0.2, 0.5])
def test_inverted_dropout_keeps_the_expectation(rate, key):
    x = jnp.full((N,), 3.0)
    y = jax.jit(dropout.apply, static_argnames=("rate", "train"))(x, rate=rate, train=True, key=key)
    assert abs(float(jnp.mean(y)) - 3.0) < 4 * 3.0 * np.sqrt(rate / (1 - rate) / N)
    np.testing.assert_allclose(np.mean(np.asarray(y) == 0), rate, atol=4 * np.sqrt(rate * (1 - rate) / N))
    np.testing.assert_array_equal(dropout.apply(x, rate=rate, train=False), x)


@pytest.mark.parametrize("rate", [0.2, 0.5])
def test_lecture_form_train_expectation_equals_the_test_output(rate, key):
    p = 1 - rate
    x = jnp.full((N,), 3.0)
    train_mean = float(jnp.mean(dropout.apply(x, rate=rate, train=True, key=key, form="lecture")))
    test_out = dropout.apply(x, rate=rate, train=False, form="lecture")
    np.testing.assert_allclose(test_out, p * 3.0)
    assert abs(train_mean - p * 3.0) < 4 * 3.0 * np.sqrt(p * (1 - p) / N)


def test_the_mask_depends_only_on_the_key(key):
    x = jnp.ones((5, 7))
    a = dropout.apply(x, rate=0.5, train=True, key=key)
    np.testing.assert_array_equal(a, dropout.apply(x, rate=0.5, train=True, key=key))
    assert not np.array_equal(a, dropout.apply(x, rate=0.5, train=True, key=jax.random.fold_in(key, 1)))
    np.testing.assert_array_equal(a, x * dropout.mask(key, x.shape, 0.5, x.dtype) * 2)


def test_monte_carlo_prediction_averages_softmax_over_masks(key):
    X = random_draws.normal(key, (3, 4))

    def logits_fn(X, k):
        return dropout.apply(X, rate=0.5, train=True, key=k)

    probabilities = dropout.monte_carlo(logits_fn, X, key=key, samples=50)
    keys = jax.random.split(key, 50)
    expected = np.mean([np.asarray(jax.nn.softmax(logits_fn(X, k))) for k in keys], axis=0)
    np.testing.assert_allclose(probabilities, expected, rtol=1e-12)
    np.testing.assert_allclose(np.sum(probabilities, axis=1), 1.0, rtol=1e-12)


def test_bad_input(key):
    with pytest.raises(ValueError, match=r"dropout: expected rate in \[0, 1\), got 1.0"):
        dropout.apply(jnp.ones(3), rate=1.0, train=True, key=key)
    with pytest.raises(ValueError, match=r"dropout: expected rate in \[0, 1\), got -0.1"):
        dropout.apply(jnp.ones(3), rate=-0.1, train=True, key=key)
    with pytest.raises(ValueError, match=r"dropout: unknown form 'keep'"):
        dropout.apply(jnp.ones(3), rate=0.1, train=True, key=key, form="keep")
    with pytest.raises(ValueError, match=r"dropout.apply: expected a PRNG key in training mode, got key=None"):
        dropout.apply(jnp.ones(3), rate=0.1, train=True)
    for rate in ("0.3", jnp.asarray(1.0)):  # only a traced rate goes unchecked
        with pytest.raises(TypeError, match=r"dropout: expected rate to be a number in \[0, 1\), got"):
            dropout.apply(jnp.ones(3), rate=rate, train=True, key=key)


@pytest.mark.parametrize("form", dropout.FORMS)
def test_a_traced_rate_gives_the_output_of_the_same_python_rate(form, key):
    X = random_draws.normal(key, (64, 16), jnp.float32)
    k = jax.random.fold_in(key, 1)
    traced = jax.jit(lambda rate, train: dropout.apply(X, rate=rate, train=train, key=k, form=form), static_argnums=1)
    for rate in (0.0, 0.3, 0.75):
        for train in (True, False):
            out = traced(jnp.asarray(rate), train)
            assert out.dtype == X.dtype
            np.testing.assert_array_equal(out, dropout.apply(X, rate=rate, train=train, key=k, form=form))
