import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn import activations
from fnn.layers import Activation, BatchNorm, Dense, Dropout, Maxout, Residual, Sequential
from fnn.layers import dense
from fnn.models import mlp
from fnn.util import random_draws


def test_forward_is_the_lecture_recursion(key):
    model = mlp.mlp((6, 5), 3, activation="tanh")
    _, params, state = model.init(key, (4,), dtype=jnp.float64)
    X = random_draws.normal(key, (7, 4))
    A = X
    for layer in params[0:4:2]:
        A = np.tanh(A @ layer.W + layer.b)
    out = jax.jit(lambda p, x: model.apply(p, state, x, train=False)[0])(params, X)
    np.testing.assert_allclose(out, A @ params[4].W + params[4].b, rtol=1e-13)


def test_builds_the_layers_in_the_lecture_order():
    assert mlp.mlp((8,), 3, batchnorm="before", dropout=0.5).layers == (
        Dense(8), BatchNorm(), Activation("relu"), Dropout(0.5), Dense(3))
    assert mlp.mlp((8,), 3, batchnorm="after").layers == (Dense(8), Activation("relu"), BatchNorm(), Dense(3))
    assert mlp.mlp((), 2).layers == (Dense(2),)


def test_residual_mlp_is_the_mnist1d_papers(key):
    """h = relu(L1 x); h = h + relu(L2 h); out = L3 h."""
    model = mlp.mlp((6, 6), 3, residual=True)
    assert model.layers == (Dense(6), Activation("relu"), Residual(Sequential(Dense(6), Activation("relu"))), Dense(3))
    _, params, _ = model.init(key, (4,), dtype=jnp.float64)
    X = random_draws.normal(key, (5, 4))
    h = activations.relu(dense.apply(params[0], X))
    h = h + activations.relu(dense.apply(params[2][0], h))
    np.testing.assert_allclose(model.apply(params, (), X, train=False)[0], dense.apply(params[3], h), rtol=1e-14)
    with pytest.raises(ValueError, match=r"mlp: expected equal hidden widths for residual blocks, got \(6, 5\)"):
        mlp.mlp((6, 5), 3, residual=True)


def test_maxout_units_take_pieces_times_the_width(key):
    model = mlp.mlp((4,), 2, activation="maxout", pieces=3)
    assert model.layers == (Dense(12), Maxout(3), Dense(2))
    out_shape, params, _ = model.init(key, (5,), dtype=jnp.float64)
    assert out_shape == (2,) and params[0].W.shape == (5, 12) and params[2].W.shape == (4, 2)


def test_default_init_is_he_normal_with_zero_biases(key):
    _, params, _ = mlp.mlp((128, 128), 10, initializer="glorot_uniform").init(key, (64,), dtype=jnp.float32)
    assert [params[i].W.shape for i in (0, 2, 4)] == [(64, 128), (128, 128), (128, 10)]
    assert all(np.all(params[i].b == 0) for i in (0, 2, 4))
    assert params[0].W.dtype == jnp.float32


def test_pytorch_initialisation_draws_w_and_b_from_the_fan_in_interval(key):
    _, params, _ = mlp.mlp((400,), 10, initializer="pytorch_uniform", bias="pytorch_uniform").init(
        key, (100,), dtype=jnp.float64)
    for layer, fan_in in ((params[0], 100), (params[2], 400)):
        for leaf in (layer.W, layer.b):
            assert np.max(np.abs(leaf)) <= 1 / np.sqrt(fan_in) and np.max(np.abs(leaf)) > 0.9 / np.sqrt(fan_in)
    np.testing.assert_allclose(np.var(params[0].W), 1 / (3 * 100), rtol=0.05)


def test_batchnorm_model_threads_its_state(key):
    model = mlp.mlp((6, 5), 3, batchnorm="before")
    _, params, state = model.init(key, (4,), dtype=jnp.float64)
    X = random_draws.normal(key, (8, 4))
    out, new_state = jax.jit(model.apply, static_argnames="train")(params, state, X, train=True)
    assert out.shape == (8, 3) and not np.allclose(new_state[1].mean, state[1].mean)
    with pytest.raises(ValueError, match=r"BatchNorm.apply: expected its state \(running mean and variance\), got \(\)"):
        model.apply(params, (), X, train=False)


def test_dropout_draws_masks_per_key_and_is_off_in_evaluation(key):
    model = mlp.mlp((6,), 3, dropout=0.5)
    _, params, _ = model.init(key, (4,), dtype=jnp.float64)
    X = random_draws.normal(key, (8, 4))
    without_dropout = dense.apply(params[3], activations.relu(dense.apply(params[0], X)))
    np.testing.assert_allclose(model.apply(params, (), X, train=False)[0], without_dropout, rtol=1e-14)
    a = model.apply(params, (), X, train=True, key=key)[0]
    b = model.apply(params, (), X, train=True, key=jax.random.fold_in(key, 1))[0]
    assert not np.allclose(a, b)
    with pytest.raises(ValueError, match=r"dropout.apply: expected a PRNG key in training mode, got key=None"):
        model.apply(params, (), X, train=True)


def test_specs_are_hashable_static_arguments():
    assert hash(mlp.mlp((2, 3), 4)) == hash(mlp.mlp([2, 3], 4))
    numpy_sized = mlp.mlp(np.array([2, 3]), np.int64(4), activation="maxout", pieces=np.int32(2))
    assert numpy_sized == mlp.mlp((2, 3), 4, activation="maxout", pieces=2)  # NumPy integers accepted, stored as int
    assert hash(numpy_sized) == hash(mlp.mlp((2, 3), 4, activation="maxout", pieces=2))
    assert mlp.mlp((2,), 4) != mlp.mlp((2,), 4, activation="tanh")


def test_bad_configuration(key):
    with pytest.raises(ValueError, match=r"mlp: expected hidden widths to be a positive int, got 0"):
        mlp.mlp((5, 0), 3)
    with pytest.raises(ValueError, match=r"Dense: expected units to be a positive int, got 2.0"):
        mlp.mlp((5,), 2.0)
    with pytest.raises(ValueError, match=r"mlp: unknown activation 'softmax'"):
        mlp.mlp((2,), 3, activation="softmax")
    with pytest.raises(ValueError, match=r"initializers.get: unknown initializer 'he'"):
        mlp.mlp((2,), 3, initializer="he")
    with pytest.raises(ValueError, match=r"mlp: unknown batchnorm 'middle'; expected one of after, before"):
        mlp.mlp((3,), 1, batchnorm="middle")
    with pytest.raises(ValueError, match=r"dropout: expected rate in \[0, 1\), got 1.0"):
        mlp.mlp((3,), 1, dropout=1.0)
    with pytest.raises(ValueError, match=r"batchnorm: expected momentum in \[0, 1\), got 1.5"):
        mlp.mlp((3,), 1, batchnorm="before", batchnorm_momentum=1.5)
    with pytest.raises(ValueError, match=r"Maxout: expected a last input dim that is a multiple of pieces=3"):
        Maxout(3).init(key, (4,), dtype=jnp.float64)
