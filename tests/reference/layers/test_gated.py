import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn.layers import GRU, LSTM
from fnn.layers import gated
from fnn.util import random_draws
from reference.layers import gated as rg
from tests.reference import harness

INIT = {"gru": gated.gru_init, "lstm": gated.lstm_init}


def problem(kind, key, scale=0.3):
    k_p, k_q, k_x = jax.random.split(key, 3)
    params = INIT[kind](k_p, 2, 3, dtype=jnp.float64)
    leaves, tree = jax.tree.flatten(params)
    params = jax.tree.unflatten(tree, [p + scale * random_draws.normal(k, p.shape, p.dtype)
                                       for p, k in zip(leaves, jax.random.split(k_q, len(leaves)))])
    return params, 1.5 * random_draws.normal(k_x, (3, 6, 2), jnp.float64)


def outputs(kind, mask=None):
    """Every state the backward takes a gradient for: H (GRU), (H, C) (LSTM)."""
    if kind == "gru":
        return lambda p, x: gated.gru_states(p, x, mask=mask)[0]
    return lambda p, x: gated.lstm_states(p, x, mask=mask)[0]


@pytest.mark.parametrize("kind", ["gru", "lstm"])
@pytest.mark.parametrize("padded", [False, True])
def test_bptt_by_hand_equals_autodiff(kind, padded, key):
    params, X = problem(kind, key)
    mask = jnp.asarray(np.arange(6)[None] < np.array([6, 1, 4])[:, None]) if padded else None
    _, _, cache = rg.forward(params, X, mask=mask)
    f = outputs(kind, mask)
    out, vjp = jax.vjp(f, params, X)
    dY = jax.tree.map(lambda o: harness.random_cotangent(jax.random.fold_in(key, o.size), o.shape), out)
    harness.assert_close(rg.backward(cache, dY), vjp(dY))


@pytest.mark.parametrize("kind", ["gru", "lstm"])
@pytest.mark.parametrize("scale", [0.0, 1e4, -1e4])
def test_bptt_at_zero_and_with_saturated_gates(kind, scale, key):
    """All parameters 0 (every gate at 1/2, tanh' = 1), and pre-activations near +-1e4 (sigma' = tanh' = 0)."""
    params, X = problem(kind, key)
    params = jax.tree.map(lambda p: scale * jnp.sign(p) if scale else jnp.zeros_like(p), params)
    _, _, cache = rg.forward(params, X)
    out, vjp = jax.vjp(outputs(kind), params, X)
    dY = jax.tree.map(lambda o: harness.random_cotangent(jax.random.fold_in(key, 3), o.shape), out)
    harness.assert_close(rg.backward(cache, dY), vjp(dY))


@pytest.mark.parametrize("spec", [GRU(3, sequences=False), LSTM(3, sequences=False), LSTM(3)])
def test_the_rules_read_the_gradient_on_the_outputs_only(spec, key):
    params, X = problem("gru" if isinstance(spec, GRU) else "lstm", key)
    Y, _, cache = rg.rule_forward(spec, params, (), X, key=None)
    f = lambda p, x: spec.apply(p, (), x, train=True)[0]  # noqa: E731
    np.testing.assert_array_equal(Y, f(params, X))
    harness.assert_matches_vjp(f, (params, X), lambda d: rg.rule_backward(spec, cache, d), jax.random.fold_in(key, 5))
