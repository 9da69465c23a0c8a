import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn import activations
from fnn.layers import dense
from fnn.models import mlp


def test_apply_composes_dense_layers_and_the_activation(key):
    config = mlp.MLPConfig((4, 6, 5, 3), activation="tanh")
    params = mlp.init(key, config, dtype=jnp.float64)
    X = jax.random.normal(key, (8, 4))
    A = X
    for layer in params.dense[:-1]:
        A = jnp.tanh(A @ layer.W + layer.b)
    expected = A @ params.dense[-1].W + params.dense[-1].b
    out = jax.jit(mlp.apply, static_argnames="config")(params, X, config=config)
    np.testing.assert_allclose(out, expected, rtol=1e-13)


def test_init_uses_one_key_per_layer_and_the_named_initializer(key):
    config = mlp.MLPConfig([64, 128, 128, 10], initializer="glorot_uniform")
    params = mlp.init(key, config)
    assert config.sizes == (64, 128, 128, 10)
    assert [layer.W.shape for layer in params.dense] == [(64, 128), (128, 128), (128, 10)]
    assert not np.allclose(params.dense[1].W[:10, :10], params.dense[2].W[:10, :10])
    assert params.dense[0].W.dtype == jnp.float32
    assert all(np.max(np.abs(layer.W)) <= np.sqrt(6 / (layer.W.shape[0] + layer.W.shape[1])) for layer in params.dense)


def test_logistic_regression_is_an_mlp_without_hidden_layers(key):
    config = mlp.MLPConfig((3, 2))
    params = mlp.init(key, config, dtype=jnp.float64)
    X = jnp.ones((2, 3))
    np.testing.assert_allclose(mlp.apply(params, X, config=config), dense.apply(params.dense[0], X))


def test_config_is_hashable_and_validated():
    assert hash(mlp.MLPConfig((2, 3))) == hash(mlp.MLPConfig([2, 3]))
    with pytest.raises(ValueError, match=r"MLPConfig: expected sizes to be at least two positive ints"):
        mlp.MLPConfig((5,))
    with pytest.raises(ValueError, match=r"activations.get: unknown activation 'softmax'"):
        mlp.MLPConfig((2, 3), activation="softmax")
    with pytest.raises(ValueError, match=r"initializers.get: unknown initializer 'he'"):
        mlp.MLPConfig((2, 3), initializer="he")


def test_apply_checks_params_against_config(key):
    params = mlp.init(key, mlp.MLPConfig((2, 3, 4)))
    with pytest.raises(ValueError, match=r"mlp.apply: expected 3 dense layers for sizes \(2, 3, 4, 5\), got 2"):
        mlp.apply(params, jnp.ones((1, 2)), config=mlp.MLPConfig((2, 3, 4, 5)))


def test_every_elementwise_activation_is_accepted(key):
    for name in activations.ELEMENTWISE:
        config = mlp.MLPConfig((2, 3, 1), activation=name)
        assert mlp.apply(mlp.init(key, config), jnp.ones((4, 2), jnp.float32), config=config).shape == (4, 1)


def test_batchnorm_places_and_state(key):
    X = jax.random.normal(key, (8, 4))
    for place in ("before", "after"):
        config = mlp.MLPConfig((4, 6, 5, 3), batchnorm=place)
        params, state = mlp.init(key, config, dtype=jnp.float64), mlp.init_state(config, dtype=jnp.float64)
        assert len(params.batchnorm) == 2 and [s.mean.shape for s in state.batchnorm] == [(6,), (5,)]
        logits, new_state = jax.jit(mlp.forward, static_argnames=("config", "train"))(params, state, X, config=config, train=True)
        assert logits.shape == (8, 3) and not np.allclose(new_state.batchnorm[0].mean, 0)
        np.testing.assert_allclose(mlp.apply(params, X, config=config, state=state),
                                   mlp.forward(params, state, X, config=config, train=False)[0])
    with pytest.raises(ValueError, match=r"mlp.apply: a batch-norm MLP needs its state"):
        mlp.apply(params, X, config=config)


def test_dropout_is_off_in_evaluation_and_keyed_in_training(key):
    config = mlp.MLPConfig((4, 6, 3), dropout=0.5)
    params = mlp.init(key, config, dtype=jnp.float64)
    X = jax.random.normal(key, (5, 4))
    plain = mlp.MLPConfig((4, 6, 3))
    np.testing.assert_allclose(mlp.apply(params, X, config=config), mlp.apply(params, X, config=plain))
    a = mlp.forward(params, (), X, config=config, train=True, key=key)[0]
    b = mlp.forward(params, (), X, config=config, train=True, key=jax.random.fold_in(key, 1))[0]
    assert not np.allclose(a, b)
    with pytest.raises(ValueError, match=r"mlp.forward: expected a PRNG key for dropout in training mode"):
        mlp.forward(params, (), X, config=config, train=True)


def test_stateful_config_validation():
    with pytest.raises(ValueError, match=r"MLPConfig: unknown batchnorm 'middle'; expected one of after, before"):
        mlp.MLPConfig((2, 3, 1), batchnorm="middle")
    with pytest.raises(ValueError, match=r"dropout: expected rate in \[0, 1\), got 1.0"):
        mlp.MLPConfig((2, 3, 1), dropout=1.0)
    with pytest.raises(ValueError, match=r"batchnorm: expected momentum in \[0, 1\), got 1.5"):
        mlp.MLPConfig((2, 3, 1), batchnorm="before", batchnorm_momentum=1.5)
