import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn.layers import batchnorm as bn
from fnn.util import random_draws


@pytest.fixture
def batches(key):
    return [3 + 2 * random_draws.normal(jax.random.fold_in(key, i), (8, 5)) for i in range(6)]


def test_training_mode_normalises_with_the_batch_and_learns_gamma_beta(batches):
    params = bn.BatchNormParams(jnp.full(5, 2.0), jnp.full(5, -1.0))
    y, _ = jax.jit(bn.apply, static_argnames=("train",))(params, bn.init_state(5, dtype=jnp.float64), batches[0], train=True)
    np.testing.assert_allclose(np.mean(y, axis=0), -1.0, atol=1e-12)
    np.testing.assert_allclose(np.std(y, axis=0), 2.0 * np.sqrt(np.var(batches[0], axis=0) / (np.var(batches[0], axis=0) + 1e-5)), rtol=1e-12)


@pytest.mark.parametrize("unbiased", [False, True])
def test_running_statistics_after_k_batches_equal_the_closed_form(batches, unbiased):
    momentum, m, K = 0.8, 8, len(batches)
    state = bn.init_state(5, dtype=jnp.float64)
    for X in batches:
        _, state = bn.apply(bn.init(5, dtype=jnp.float64), state, X, train=True, momentum=momentum, unbiased=unbiased)
    # mean_K = momentum^K * 0 + sum_k (1 - momentum) momentum^(K - k) mu_k, and likewise the variance from 1.
    weights = [(1 - momentum) * momentum ** (K - k) for k in range(1, K + 1)]
    mus = [np.mean(X, axis=0) for X in batches]
    variances = [np.var(X, axis=0) * (m / (m - 1) if unbiased else 1) for X in batches]
    np.testing.assert_allclose(state.mean, sum(w * mu for w, mu in zip(weights, mus)), rtol=1e-12)
    np.testing.assert_allclose(state.var, momentum**K + sum(w * v for w, v in zip(weights, variances)), rtol=1e-12)


def test_momentum_is_the_weight_of_the_old_value(batches):
    """Our momentum 0.9 is PyTorch's momentum 0.1: new = 0.9 old + 0.1 batch."""
    _, state = bn.apply(bn.init(5, dtype=jnp.float64), bn.init_state(5, dtype=jnp.float64), batches[0], train=True, momentum=0.9)
    np.testing.assert_allclose(state.mean, 0.1 * np.mean(batches[0], axis=0), rtol=1e-13)


def test_evaluation_mode_uses_the_running_statistics_and_keeps_them(batches):
    state = bn.BatchNormState(jnp.full(5, 3.0), jnp.full(5, 4.0))
    y, same = bn.apply(bn.init(5, dtype=jnp.float64), state, batches[1], train=False)
    np.testing.assert_allclose(y, (batches[1] - 3.0) / np.sqrt(4.0 + 1e-5), rtol=1e-13)
    assert same is state


def test_bad_input(batches):
    params, state = bn.init(5, dtype=jnp.float64), bn.init_state(5, dtype=jnp.float64)
    with pytest.raises(ValueError, match=r"batchnorm.apply: expected a batch of at least 2 samples in training mode, got X.shape=\(1, 5\)"):
        bn.apply(params, state, batches[0][:1], train=True)
    with pytest.raises(ValueError, match=r"batchnorm: expected momentum in \[0, 1\), got 1.0"):
        bn.apply(params, state, batches[0], train=True, momentum=1.0)
    bn.apply(params, state, batches[0][:1], train=False)  # one sample is fine in evaluation mode
