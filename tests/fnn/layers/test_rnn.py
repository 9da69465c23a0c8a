import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn.layers import Bidirectional, Dense, SimpleRNN
from fnn.layers import rnn
from fnn.util import random_draws


def rnn_params(key, d_in=3, units=4):
    return rnn.init(key, d_in, units, dtype=jnp.float64)


def loop_states(params, X, mask=None):
    """The lecture's recursion in NumPy, one sample and one step at a time."""
    U, W, b = (np.asarray(p) for p in params)
    N, T, _ = X.shape
    mask = np.ones((N, T)) if mask is None else np.asarray(mask)
    S = np.zeros((N, T, W.shape[0]))
    for n in range(N):
        s = np.zeros(W.shape[0])
        for t in range(T):
            new = np.tanh(np.asarray(X[n, t]) @ U + s @ W + b)
            s = mask[n, t] * new + (1 - mask[n, t]) * s
            S[n, t] = s
    return S


def test_the_states_follow_the_recursion_step_by_step(key):
    params = rnn_params(key)
    X = random_draws.normal(jax.random.fold_in(key, 1), (3, 6, 3), jnp.float64)
    S, last = jax.jit(rnn.states)(params, X)
    np.testing.assert_allclose(S, loop_states(params, X), rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(last, S[:, -1])


def test_a_padded_step_keeps_the_state_so_padding_changes_nothing(key):
    params = rnn_params(key)
    X = random_draws.normal(jax.random.fold_in(key, 1), (2, 5, 3), jnp.float64)
    lengths = np.array([5, 3])
    mask = jnp.asarray(np.arange(5)[None] < lengths[:, None])
    S, last = rnn.states(params, X, mask=mask)
    np.testing.assert_allclose(S, loop_states(params, X, mask), rtol=1e-12, atol=1e-14)
    short, short_last = rnn.states(params, X[1:, :3])
    np.testing.assert_allclose(last[1], short_last[0], rtol=1e-13)
    np.testing.assert_allclose(S[1, 3:], np.broadcast_to(short[0, 2], (2, 4)), rtol=1e-13)


def test_truncation_keeps_the_forward_and_cuts_the_gradient_at_chunk_starts(key):
    params = rnn_params(key)
    X = random_draws.normal(jax.random.fold_in(key, 1), (2, 6, 3), jnp.float64)
    full = rnn.states(params, X)[0]
    np.testing.assert_array_equal(rnn.states(params, X, truncate=2)[0], full)
    grad = lambda truncate: jax.grad(lambda x: rnn.states(params, x, truncate=truncate)[0][:, 3].sum())(X)  # noqa: E731
    assert np.abs(np.asarray(grad(None)[:, :2])).max() > 0
    cut = np.asarray(grad(2))
    assert np.all(cut[:, :2] == 0) and np.abs(cut[:, 2:4]).max() > 0 and np.all(cut[:, 4:] == 0)


def test_the_spec_returns_every_state_or_the_last(key):
    X = random_draws.normal(key, (4, 7, 2), jnp.float32)
    for sequences, shape in ((True, (7, 5)), (False, (5,))):
        layer = SimpleRNN(5, sequences=sequences)
        out_shape, params, state = layer.init(key, (7, 2), dtype=jnp.float32)
        Y, _ = layer.apply(params, state, X, train=True)
        assert out_shape == shape and Y.shape == (4, *shape) and Y.dtype == jnp.float32
    assert layer.weight_mask(params) == rnn.RNNParams(True, True, False)


@pytest.mark.parametrize("call, message", [
    (lambda p: rnn.states(p, jnp.zeros((2, 3))), r"rnn.states: expected sequences X of shape \(N, T, D\) with T >= 1"),
    (lambda p: rnn.states(p, jnp.zeros((2, 0, 3))), r"with T >= 1, got X.shape=\(2, 0, 3\)"),
    (lambda p: rnn.states(p, jnp.zeros((2, 4, 5))), r"rnn.states: expected 3 features per step \(U.shape\[0\]\)"),
    (lambda p: rnn.states(p, jnp.zeros((2, 4, 3)), mask=jnp.ones((2, 3))),
     r"rnn.states: expected mask of shape \(N, T\) = \(2, 4\), got \(2, 3\)"),
    (lambda p: SimpleRNN(0), r"SimpleRNN: expected units to be a positive int, got 0"),
    (lambda p: SimpleRNN(3, truncate=0), r"SimpleRNN: expected truncate to be a positive int, got 0"),
    (lambda p: SimpleRNN(3).init(jax.random.key(0), (6,), dtype=jnp.float32),
     r"SimpleRNN: expected a sample shape \(T, D\), got \(6,\)"),
])
def test_bad_input_is_named(call, message, key):
    with pytest.raises(ValueError, match=message):
        call(rnn_params(key))


def test_bidirectional_runs_a_second_copy_on_the_reversed_sequence(key):
    X = random_draws.normal(key, (2, 5, 3), jnp.float64)
    for sequences in (True, False):
        layer = Bidirectional(SimpleRNN(4, sequences=sequences))
        out_shape, (forward, backward), _ = layer.init(key, (5, 3), dtype=jnp.float64)
        Y, _ = layer.apply((forward, backward), ((), ()), X, train=False)
        S_f, last_f = rnn.states(forward, X)
        S_b, last_b = rnn.states(backward, X[:, ::-1])
        expected = np.concatenate([S_f, S_b[:, ::-1]], -1) if sequences else np.concatenate([last_f, last_b], -1)
        assert out_shape == expected.shape[1:]
        np.testing.assert_allclose(Y, expected, rtol=1e-14)
    assert layer.weight_mask((forward, backward)) == (rnn.RNNParams(True, True, False),) * 2
    with pytest.raises(ValueError, match="Bidirectional: expected a recurrent layer"):
        Bidirectional(Dense(3)).init(key, (5, 3), dtype=jnp.float32)
