import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn.layers import AvgPool, Conv, GlobalAvgPool, MaxPool, Sequential
from fnn.layers import pool
from fnn.util import random_draws

GEOMETRIES = [  # (window, stride, padding, sample shape)
    (2, None, "valid", (6, 6, 3)),
    (3, 2, 1, (7, 6, 2)),
    ((3, 2), (2, 1), ((1, 2), (0, 1)), (5, 4, 1)),
    (3, 2, "same", (7, 5, 2)),
    (3, 2, "same", (9, 4)),
    (4, 3, (2,), (10, 2)),
    (2, None, "valid", (5, 3)),
]


def loop_pool(X, window, stride, pads, reduce, fill):
    """The lecture's picture: slide the window over the padded input, one output at a time."""
    X_pad = np.pad(np.asarray(X), [(0, 0), *pads, (0, 0)], constant_values=fill)
    out = [(n + lo + hi - k) // s + 1 for n, k, s, (lo, hi) in zip(X.shape[1:-1], window, stride, pads)]
    Y = np.zeros((X.shape[0], *out, X.shape[-1]))
    for y in itertools.product(*map(range, out)):
        block = X_pad[(slice(None), *(slice(i * s, i * s + k) for i, s, k in zip(y, stride, window)))]
        Y[(slice(None), *y)] = reduce(block.reshape(X.shape[0], -1, X.shape[-1]), axis=1)
    return Y


def expected_size(n, k, s, pad):
    return math.floor((n + pad[0] + pad[1] - k) / s) + 1


@pytest.mark.parametrize("window, stride, padding, in_shape", GEOMETRIES)
def test_output_size_is_the_formula(window, stride, padding, in_shape, key):
    layer = MaxPool(window, stride, padding)
    k, s, _, pads = layer.geometry(in_shape)
    out = tuple(expected_size(n, kk, ss, p) for n, kk, ss, p in zip(in_shape[:-1], k, s, pads))
    assert layer.init(key, in_shape, dtype=jnp.float64)[0] == (*out, in_shape[-1])
    assert AvgPool(window, stride, padding).init(key, in_shape, dtype=jnp.float64)[0] == (*out, in_shape[-1])
    if padding == "same":
        assert out == tuple(math.ceil(n / ss) for n, ss in zip(in_shape[:-1], s))
    if stride is None:
        assert s == k


@pytest.mark.parametrize("window, stride, padding, in_shape", GEOMETRIES)
def test_values_equal_a_sliding_window_loop(window, stride, padding, in_shape, key):
    X = random_draws.normal(key, (3, *in_shape), jnp.float64)
    for layer, reduce, fill in ((MaxPool(window, stride, padding), np.max, -np.inf),
                                (AvgPool(window, stride, padding), np.mean, 0.0)):
        k, s, _, pads = layer.geometry(in_shape)
        Y, _ = jax.jit(lambda X: layer.apply((), (), X, train=False))(X)
        np.testing.assert_allclose(Y, loop_pool(X, k, s, pads, reduce, fill), rtol=1e-14)


def test_average_pooling_counts_the_padded_zeros():
    Y, _ = AvgPool(2, padding=((1, 0),)).apply((), (), jnp.array([[[4.0], [6.0], [8.0]]]), train=False)
    np.testing.assert_allclose(Y[0, :, 0], [4.0 / 2, (6.0 + 8.0) / 2])


def test_max_pooling_never_chooses_the_padding():
    X = -jnp.arange(1.0, 6.0).reshape(1, 5, 1)  # all negative: a zero padding would win
    Y, _ = MaxPool(3, stride=2, padding=1).apply((), (), X, train=False)
    np.testing.assert_allclose(Y[0, :, 0], [-1.0, -2.0, -4.0])


def test_the_first_maximum_of_a_window_wins_and_takes_the_whole_gradient():
    X = jnp.array([[[1.0], [3.0], [3.0], [0.0]], [[2.0], [2.0], [2.0], [2.0]]]).reshape(2, 2, 2, 1)
    Y, a = pool.max_pool(X, window=(2, 2), stride=(2, 2), pads=((0, 0), (0, 0)))
    np.testing.assert_array_equal(a[:, 0, 0, 0], [1, 0])  # row-major window order: (0, 1) first, then (0, 0)
    grad = jax.grad(lambda X: jnp.sum(MaxPool(2).apply((), (), X, train=True)[0]))(X)
    np.testing.assert_array_equal(grad.reshape(2, 4), [[0, 1, 0, 0], [1, 0, 0, 0]])


def test_global_average_pooling_is_the_mean_over_positions(key):
    for shape in ((5, 4, 3), (7, 2)):
        X = random_draws.normal(key, (2, *shape), jnp.float64)
        layer = GlobalAvgPool()
        assert layer.init(key, shape, dtype=jnp.float64)[0] == (shape[-1],)
        Y, _ = jax.jit(lambda X: layer.apply((), (), X, train=False))(X)
        np.testing.assert_allclose(Y, np.asarray(X).reshape(2, -1, shape[-1]).mean(axis=1), rtol=1e-14)


def test_pooling_composes_with_convolutions(key):
    model = Sequential(Conv(4, 3, padding="same"), MaxPool(2), Conv(2, 3), GlobalAvgPool())
    out_shape, params, state = model.init(key, (8, 8, 1), dtype=jnp.float64)
    Y, _ = model.apply(params, state, jnp.ones((2, 8, 8, 1)), train=False)
    assert out_shape == (2,) and Y.shape == (2, 2)
    assert model.weight_mask(params)[1] == ()


def test_bad_settings_and_inputs_are_named_errors(key):
    with pytest.raises(ValueError, match=r"MaxPool: expected samples of shape \(1 or 2 spatial axes..., channels\), "
                                         r"got \(64,\); reshape flat rows first"):
        MaxPool(2).init(key, (64,), dtype=jnp.float64)
    with pytest.raises(ValueError, match=r"AvgPool: expected samples of shape .*got \(2, 6, 6, 3\)"):
        AvgPool(2).apply((), (), jnp.ones((1, 2, 6, 6, 3)), train=False)
    with pytest.raises(ValueError, match=r"MaxPool: expected stride to be a positive int, got 0"):
        MaxPool(2, stride=0).init(key, (6, 6, 3), dtype=jnp.float64)
    with pytest.raises(ValueError, match=r"MaxPool: expected window to be an int or 2 ints, got \(2, 2, 2\)"):
        MaxPool((2, 2, 2)).init(key, (6, 6, 3), dtype=jnp.float64)
    with pytest.raises(ValueError, match=r"AvgPool: expected a window no larger than the padded input on spatial "
                                         r"axis 1, got a window of 5 over 4 padded inputs"):
        AvgPool(5, padding=((0, 0), (1, 0))).init(key, (6, 3, 1), dtype=jnp.float64)
    with pytest.raises(ValueError, match=r"MaxPool: expected a window no larger .* got a window of 4 over 3"):
        jax.jit(lambda X: MaxPool(4).apply((), (), X, train=False))(jnp.ones((2, 3, 1)))
    with pytest.raises(ValueError, match=r"MaxPool: expected padding smaller than the window \(2\) on spatial axis 0, "
                                         r"got \(2, 2\); a window would hold only padding"):
        MaxPool(2, padding=2).init(key, (6, 6, 3), dtype=jnp.float64)
    with pytest.raises(ValueError, match=r"MaxPool: expected padding 'valid', 'same', an int or pairs, got 'full'"):
        MaxPool(2, padding="full").init(key, (6, 6, 3), dtype=jnp.float64)
    with pytest.raises(ValueError, match=r"GlobalAvgPool: expected samples of shape .*got \(10,\)"):
        GlobalAvgPool().apply((), (), jnp.ones((4, 10)), train=False)
