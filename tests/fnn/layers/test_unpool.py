import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn.layers import Activation, Dense, Dropout, MaxPool, NearestUnpool, Sequential, Unpooled
from fnn.layers import base
from fnn.util import random_draws


def loop_unpool(X, Z, window, stride):
    """Max-unpooling by hand: each Z value added where its window's first maximum of X sits."""
    X, Z = np.asarray(X), np.asarray(Z)
    Y = np.zeros_like(X)
    for n, c in itertools.product(range(X.shape[0]), range(X.shape[-1])):
        for y in itertools.product(*map(range, Z.shape[1:-1])):
            corner = [i * s for i, s in zip(y, stride)]
            block = X[(n, *(slice(i, i + k) for i, k in zip(corner, window)), c)]
            j = np.unravel_index(np.argmax(block), block.shape)
            Y[(n, *(i + jj for i, jj in zip(corner, j)), c)] += Z[(n, *y, c)]
    return Y


@pytest.mark.parametrize("factor, in_shape", [(3, (4, 2)), ((2, 3), (3, 2, 3)), (2, (2, 2, 1))])
def test_nearest_unpooling_repeats_each_value(factor, in_shape, key):
    X = random_draws.normal(key, (2, *in_shape), jnp.float64)
    layer = NearestUnpool(factor)
    out_shape = layer.init(key, in_shape, dtype=jnp.float64)[0]
    Y, _ = jax.jit(lambda X: layer.apply((), (), X, train=False))(X)
    expected = np.asarray(X)
    for axis, f in enumerate(np.broadcast_to(factor, (len(in_shape) - 1,)), start=1):
        expected = np.repeat(expected, f, axis=axis)
    assert out_shape == expected.shape[1:]
    np.testing.assert_array_equal(Y, expected)


@pytest.mark.parametrize("window, stride, in_shape", [(2, None, (6, 6, 3)), ((2, 3), (2, 3), (5, 7, 2)),
                                                      (3, 2, (8, 2))])
def test_values_go_back_where_max_pooling_found_them(window, stride, in_shape, key):
    layer = Unpooled(Sequential(Dense(in_shape[-1]), Activation("tanh")), window, stride)
    out_shape, params, state = layer.init(key, in_shape, dtype=jnp.float64)
    X = random_draws.normal(jax.random.fold_in(key, 1), (2, *in_shape), jnp.float64)
    Y, _ = jax.jit(lambda p, X: layer.apply(p, state, X, train=False))(params, X)
    P, _ = MaxPool(window, stride).apply((), (), X, train=False)
    Z, _ = layer.body.apply(params, state, P, train=False)
    k, s, _, _ = layer.geometry(in_shape)
    assert out_shape == in_shape and Y.shape == X.shape
    np.testing.assert_allclose(Y, loop_unpool(X, Z, k, s), rtol=1e-14, atol=1e-15)


def test_overlapping_windows_that_choose_the_same_input_add_their_values():
    X = jnp.array([0.0, 1.0, 5.0, 1.0, 0.0]).reshape(1, 5, 1)  # windows [0:3] and [2:5] both choose x = 2
    Y, _ = Unpooled(Activation("linear"), 3, stride=2).apply((), (), X, train=False)
    np.testing.assert_array_equal(Y[0, :, 0], [0, 0, 10, 0, 0])


def test_a_pool_unpool_pair_composes_inside_sequential(key):
    model = Sequential(Dense(4), Unpooled(Sequential(Dense(4), Dropout(0.5)), 2, padding="same"), Dense(2))
    out_shape, params, state = model.init(key, (5, 5, 3), dtype=jnp.float64)
    Y, _ = model.apply(params, state, jnp.ones((2, 5, 5, 3)), train=True, key=key)
    assert out_shape == (5, 5, 2) and Y.shape == (2, 5, 5, 2)
    assert model.weight_mask(params)[1][0].W is True and model.weight_mask(params)[1][0].b is False
    assert [type(leaf).__name__ for leaf in base.leaves(model)] == ["Dense", "Dense", "Dropout", "Dense"]
    assert base.needs_key(model) and not base.needs_key(Unpooled(Dense(3), 2))


def test_bad_settings_and_inputs_are_named_errors(key):
    with pytest.raises(ValueError, match=r"Unpooled: expected a body that keeps the pooled shape \(3, 3, 3\), got "
                                         r"\(3, 3, 5\); the unpooling puts values back"):
        Unpooled(Dense(5), 2).init(key, (6, 6, 3), dtype=jnp.float64)
    _, params, _ = Unpooled(Dense(3), 2).init(key, (6, 6, 3), dtype=jnp.float64)
    with pytest.raises(ValueError, match=r"Unpooled.apply: expected a body that keeps the pooled shape "
                                         r"\(2, 2, 3\), got \(2, 2, 5\)"):
        Unpooled(Dense(5), 2).apply(params._replace(W=jnp.ones((3, 5)), b=jnp.ones(5)), (), jnp.ones((1, 4, 4, 3)),
                                    train=False)
    with pytest.raises(TypeError, match=r"Unpooled: expected a layer \(init, apply, weight_mask\), got int"):
        Unpooled(3, 2)
    with pytest.raises(ValueError, match=r"Unpooled: expected stride to be a positive int, got 0"):
        Unpooled(Dense(3), 2, stride=0).init(key, (6, 6, 3), dtype=jnp.float64)
    with pytest.raises(ValueError, match=r"Unpooled: expected a window no larger than the padded input"):
        Unpooled(Dense(3), 7).init(key, (6, 6, 3), dtype=jnp.float64)
    with pytest.raises(ValueError, match=r"NearestUnpool: expected factor to be a positive int, got 0"):
        NearestUnpool(0).init(key, (6, 6, 3), dtype=jnp.float64)
    with pytest.raises(ValueError, match=r"NearestUnpool: expected samples of shape .*got \(64,\)"):
        NearestUnpool(2).apply((), (), jnp.ones((2, 64)), train=False)
