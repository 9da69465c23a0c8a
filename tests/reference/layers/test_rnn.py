import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn.layers import SimpleRNN
from fnn.layers import rnn
from fnn.util import random_draws
from reference.layers import rnn as rr
from tests.reference import harness


def problem(key, N=3, T=6, D=2, H=4):
    k_p, k_x = jax.random.split(key)
    params = rnn.init(k_p, D, H, dtype=jnp.float64)
    params = params._replace(b=jnp.linspace(-0.3, 0.4, H), W=1.3 * params.W)
    return params, 1.5 * random_draws.normal(k_x, (N, T, D), jnp.float64)


@pytest.mark.parametrize("truncate", [None, 1, 2, 4])
def test_bptt_equals_autodiff_with_and_without_truncation(truncate, key):
    params, X = problem(key)
    _, _, cache = rr.forward(params, X, truncate=truncate)
    f = lambda p, x: rnn.states(p, x, truncate=truncate)[0]  # noqa: E731
    harness.assert_matches_vjp(f, (params, X), lambda dS: rr.backward(cache, dS, truncate), jax.random.fold_in(key, 7))


def test_bptt_through_padded_sequences_equals_autodiff(key):
    params, X = problem(key)
    mask = jnp.asarray(np.arange(6)[None] < np.array([6, 2, 4])[:, None])
    _, _, cache = rr.forward(params, X, mask=mask)
    f = lambda p, x: rnn.states(p, x, mask=mask)[0]  # noqa: E731
    dS, (dparams, dX) = harness.assert_matches_vjp(f, (params, X), lambda dS: rr.backward(cache, dS),
                                                   jax.random.fold_in(key, 7))
    assert np.all(np.asarray(dX)[1, 2:] == 0)  # padded inputs have no influence


def test_truncated_bptt_differs_from_the_full_gradient(key):
    params, X = problem(key)
    _, _, cache = rr.forward(params, X)
    dS = harness.random_cotangent(jax.random.fold_in(key, 7), (3, 6, 4))
    (full, _), (cut, _) = rr.backward(cache, dS), rr.backward(cache, dS, truncate=2)
    assert np.abs(np.asarray(full.W - cut.W)).max() > 1e-3


@pytest.mark.parametrize("scale", [0.0, 1e4, -1e4])
def test_bptt_at_zero_and_at_saturation(scale, key):
    """All-zero inputs and weights (a_t = 0: tanh' = 1), and a_t = +-1e4 (tanh' = 0 exactly in float64)."""
    params, X = problem(key)
    params = params._replace(U=scale * jnp.ones_like(params.U), W=jnp.zeros_like(params.W) if scale == 0 else params.W,
                             b=jnp.zeros_like(params.b))
    X = jnp.abs(X) if scale else jnp.zeros_like(X)
    _, _, cache = rr.forward(params, X)
    f = lambda p, x: rnn.states(p, x)[0]  # noqa: E731
    harness.assert_matches_vjp(f, (params, X), lambda dS: rr.backward(cache, dS), jax.random.fold_in(key, 7))


def test_the_rule_of_a_last_state_layer_reads_only_the_last_gradient(key):
    params, X = problem(key)
    layer = SimpleRNN(4, sequences=False)
    last, _, cache = rr.rule_forward(layer, params, (), X, key=None)
    f = lambda p, x: layer.apply(p, (), x, train=True)[0]  # noqa: E731
    np.testing.assert_array_equal(last, f(params, X))
    harness.assert_matches_vjp(f, (params, X), lambda d: rr.rule_backward(layer, cache, d), jax.random.fold_in(key, 7))
