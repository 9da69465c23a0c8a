import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn import losses, regularizers
from fnn.models import mlp
from fnn.objective import Objective

CONFIG = mlp.MLPConfig((3, 5, 4))


@pytest.fixture
def setup(key):
    params = mlp.init(key, CONFIG, dtype=jnp.float64)
    X = jax.random.normal(key, (7, 3))
    y = jnp.array([0, 1, 2, 3, 0, 1, 2])
    return params, X, y


def test_objective_is_loss_plus_lambda_penalty(setup):
    params, X, y = setup
    logits = mlp.apply(params, X, config=CONFIG)
    objective = Objective(CONFIG, regularizer="elastic_net", strength=0.01, beta=0.25)
    expected = losses.softmax_cross_entropy(logits, y) + 0.01 * regularizers.elastic_net(params, beta=0.25)
    np.testing.assert_allclose(jax.jit(objective)(params, (X, y)), expected, rtol=1e-14)
    plain = Objective(CONFIG)
    np.testing.assert_allclose(plain(params, (X, y)), losses.softmax_cross_entropy(logits, y), rtol=1e-14)


def test_binary_objective_reshapes_labels_and_predicts_by_sign(key):
    config = mlp.MLPConfig((3, 1))
    objective = Objective(config, loss="binary_log_loss")
    params = mlp.init(key, config, dtype=jnp.float64)
    X = jax.random.normal(key, (6, 3))
    y = jnp.array([0, 1, 1, 0, 1, 0])
    logits = mlp.apply(params, X, config=config)
    expected = losses.binary_log_loss(logits, y.reshape(-1, 1).astype(jnp.float64))
    np.testing.assert_allclose(objective(params, (X, y)), expected, rtol=1e-14)
    np.testing.assert_array_equal(objective.predict(params, X), (np.asarray(logits[:, 0]) > 0).astype(int))
    assert objective.num_classes == 2 and objective.is_classifier


def test_bad_configuration():
    with pytest.raises(ValueError, match=r"Objective: expected strength in \[0, inf\], got -1.0"):
        Objective(CONFIG, regularizer="l2", strength=-1.0)
    with pytest.raises(ValueError, match=r"losses.get: unknown loss 'nll'"):
        Objective(CONFIG, loss="nll")
