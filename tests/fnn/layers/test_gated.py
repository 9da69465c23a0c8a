import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn.layers import GRU, LSTM
from fnn.layers import gated
from fnn.util import random_draws


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def gru_loop(params, X):
    """The GRU equations of the module docstring, one step at a time in NumPy."""
    U, W, b, c = (np.asarray(p) for p in params)
    H = c.shape[0]
    h = np.zeros((X.shape[0], H))
    out = []
    for x in np.swapaxes(np.asarray(X), 0, 1):
        r = sigmoid(x @ U[:, :H] + h @ W[:, :H] + b[:H])
        z = sigmoid(x @ U[:, H:2 * H] + h @ W[:, H:2 * H] + b[H:2 * H])
        n = np.tanh(x @ U[:, 2 * H:] + b[2 * H:] + r * (h @ W[:, 2 * H:] + c))
        h = (1 - z) * n + z * h
        out.append(h)
    return np.stack(out, axis=1)


def lstm_loop(params, X):
    U, W, b = (np.asarray(p) for p in params)
    H = W.shape[0]
    h, c = np.zeros((X.shape[0], H)), np.zeros((X.shape[0], H))
    out = []
    for x in np.swapaxes(np.asarray(X), 0, 1):
        a = x @ U + h @ W + b
        i, f, g, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), sigmoid(a[:, 3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
        out.append(h)
    return np.stack(out, axis=1)


def perturbed(params, key):
    leaves, tree = jax.tree.flatten(params)
    keys = jax.random.split(key, len(leaves))
    return jax.tree.unflatten(tree, [p + 0.3 * random_draws.normal(k, p.shape, p.dtype) for p, k in zip(leaves, keys)])


def test_the_gru_and_lstm_follow_their_equations_step_by_step(key):
    X = random_draws.normal(jax.random.fold_in(key, 1), (3, 6, 2), jnp.float64)
    gru = perturbed(gated.gru_init(key, 2, 4, dtype=jnp.float64), key)
    np.testing.assert_allclose(jax.jit(gated.gru_states)(gru, X)[0], gru_loop(gru, X), rtol=1e-12, atol=1e-14)
    lstm = perturbed(gated.lstm_init(key, 2, 4, dtype=jnp.float64), key)
    (H_all, _), _ = jax.jit(gated.lstm_states)(lstm, X)
    np.testing.assert_allclose(H_all, lstm_loop(lstm, X), rtol=1e-12, atol=1e-14)


def test_initial_weights_orthogonal_per_gate_and_the_forget_bias_is_one(key):
    params = gated.lstm_init(key, 3, 5, dtype=jnp.float64)
    for block in np.split(np.asarray(params.W), 4, axis=1):
        np.testing.assert_allclose(block.T @ block, np.eye(5), atol=1e-12)
    np.testing.assert_array_equal(params.b, np.r_[np.zeros(5), np.ones(5), np.zeros(10)])
    assert gated.gru_init(key, 3, 5).W.shape == (5, 15)


@pytest.mark.parametrize("states", [gated.gru_states, gated.lstm_states])
def test_a_padded_step_keeps_the_state(states, key):
    params = (gated.gru_init if states is gated.gru_states else gated.lstm_init)(key, 2, 3, dtype=jnp.float64)
    X = random_draws.normal(key, (2, 5, 2), jnp.float64)
    mask = jnp.asarray(np.arange(5)[None] < np.array([5, 2])[:, None])
    _, last = states(params, X, mask=mask)
    _, short_last = states(params, X[1:, :2])
    for a, b in zip(jax.tree.leaves(last), jax.tree.leaves(short_last)):
        np.testing.assert_allclose(a[1], b[0], rtol=1e-13)


@pytest.mark.parametrize("spec", [GRU, LSTM])
def test_the_specs_return_every_state_or_the_last(spec, key):
    X = random_draws.normal(key, (4, 7, 2), jnp.float32)
    for sequences, shape in ((True, (7, 5)), (False, (5,))):
        layer = spec(5, sequences=sequences)
        out_shape, params, state = layer.init(key, (7, 2), dtype=jnp.float32)
        Y, _ = layer.apply(params, state, X, train=True)
        assert out_shape == shape and Y.shape == (4, *shape)
    mask = layer.weight_mask(params)
    assert mask.U and mask.W and not mask.b


@pytest.mark.parametrize("call, message", [
    (lambda: GRU(0), r"GRU: expected units to be a positive int, got 0"),
    (lambda: LSTM(2).init(jax.random.key(0), (3, 4, 1), dtype=jnp.float32),
     r"LSTM: expected a sample shape \(T, D\), got \(3, 4, 1\)"),
    (lambda: gated.gru_states(gated.gru_init(jax.random.key(0), 2, 3), jnp.zeros((2, 4, 3), jnp.float32)),
     r"gru_states: expected 2 features per step"),
    (lambda: gated.lstm_states(gated.lstm_init(jax.random.key(0), 2, 3), jnp.zeros((4, 2), jnp.float32)),
     r"lstm_states: expected sequences X of shape \(N, T, D\)"),
])
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()
