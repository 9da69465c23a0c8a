import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn import activations, losses, optim, train
from fnn.models import mlp
from fnn.objective import Objective
from reference import gradcheck
from reference.audit import KINK_TOLERANCE
from reference.models import mlp as rm
from tests.reference import harness


def problem(config, loss, key):
    k1, k2, k3 = jax.random.split(key, 3)
    params = mlp.init(k1, config, dtype=jnp.float64)
    params = jax.tree.map(lambda p: p + 0.05 * jax.random.normal(k3, p.shape, p.dtype), params)
    X = jax.random.normal(k2, (9, config.sizes[0]), jnp.float64)
    K = config.sizes[-1]
    if loss in losses.CLASSIFICATION:
        y = jax.random.randint(k3, (9,), 0, K)
    elif loss == "binary_log_loss":
        y = jax.random.randint(k3, (9,), 0, 2)
    else:
        y = jax.random.normal(k3, (9, K), jnp.float64)
    return params, (X, y)


@pytest.mark.parametrize("activation", sorted(activations.ELEMENTWISE))
def test_backprop_equals_autodiff_for_every_hidden_activation(activation, key):
    objective = Objective(mlp.MLPConfig((4, 6, 5, 3), activation=activation))
    params, batch = problem(objective.model, objective.loss, key)
    (value, _), grads = jax.jit(rm.value_and_grad(objective))(params, (), batch, None)
    auto_value, auto_grads = jax.value_and_grad(objective)(params, batch)
    np.testing.assert_allclose(value, auto_value, rtol=1e-14)
    harness.assert_close(grads, auto_grads)


@pytest.mark.parametrize("loss", sorted(losses.BY_NAME))
@pytest.mark.parametrize("regularizer", [None, "l1", "l2", "elastic_net"])
def test_backprop_equals_autodiff_for_every_loss_and_regularizer(loss, regularizer, key):
    out = 1 if loss == "binary_log_loss" else 3
    objective = Objective(mlp.MLPConfig((4, 6, 5, out), activation="tanh"), loss=loss,
                          regularizer=regularizer, strength=0.03 if regularizer else 0.0, beta=0.4)
    params, batch = problem(objective.model, loss, key)
    (value, _), grads = rm.value_and_grad(objective)(params, (), batch, None)
    auto_value, auto_grads = jax.value_and_grad(objective)(params, batch)
    np.testing.assert_allclose(value, auto_value, rtol=1e-14)
    harness.assert_close(grads, auto_grads)


def test_backprop_matches_finite_differences(key):
    objective = Objective(mlp.MLPConfig((3, 5, 4, 3), activation="relu"), regularizer="l2", strength=0.1)
    params, batch = problem(objective.model, objective.loss, key)
    _, grads = rm.value_and_grad(objective)(params, (), batch, None)
    numeric = gradcheck.numerical_gradient(lambda p: objective(p, batch), params)
    assert gradcheck.max_relative_error(grads, numeric) <= KINK_TOLERANCE


def test_forward_equals_the_fnn_model(key):
    config = mlp.MLPConfig((4, 6, 5, 3), activation="elu")
    params, (X, _) = problem(config, "softmax_cross_entropy", key)
    logits, caches, _ = rm.forward(params, (), X, config=config)
    np.testing.assert_allclose(logits, mlp.apply(params, X, config=config), rtol=1e-15)
    assert len(caches) == 3 and caches[0].dense.X is X


def test_manual_and_automatic_training_give_the_same_parameters_after_one_epoch(key):
    objective = Objective(mlp.MLPConfig((4, 16, 16, 3), activation="relu"), regularizer="l2", strength=1e-3)
    params, (X, y) = problem(objective.model, objective.loss, key)
    X, y = jnp.tile(X, (8, 1)), jnp.tile(y, 8)
    states = [
        train.fit(objective, optim.adam(0.01), params, (X, y), epochs=1, batch_size=8, key=key, value_and_grad=vg)[0]
        for vg in (train.autodiff, rm.value_and_grad)
    ]
    assert int(states[0].step) == 9
    harness.assert_close(states[1].params, states[0].params)
    moved = max(float(jnp.max(jnp.abs(a - b))) for a, b in zip(jax.tree.leaves(states[0].params), jax.tree.leaves(params)))
    assert moved > 1e-3


def test_only_mlp_objectives_are_accepted():
    with pytest.raises(TypeError, match=r"reference.models.mlp.value_and_grad: expected an fnn.objective.Objective of an MLPConfig, got function; use fnn.train.autodiff"):
        rm.value_and_grad(lambda p, b: 0.0)


STATEFUL = [
    dict(batchnorm="before"),
    dict(batchnorm="after", unbiased_variance=True),
    dict(dropout=0.3),
    dict(dropout=0.2, dropout_form="lecture", batchnorm="before"),
    dict(dropout=0.25, batchnorm="after", activation="elu"),
]


@pytest.mark.parametrize("options", STATEFUL, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_backprop_through_batchnorm_and_dropout_equals_autodiff(options, key):
    config = mlp.MLPConfig((4, 6, 5, 3), **{"activation": "tanh", **options})
    objective = Objective(config, regularizer="l2", strength=0.01)
    params, batch = problem(config, objective.loss, key)
    params = params._replace(batchnorm=tuple(jax.tree.map(lambda p: p + 0.1 * jnp.arange(p.size, dtype=p.dtype).reshape(p.shape), b)
                                             for b in params.batchnorm))  # gamma != 1, beta != 0
    state = mlp.init_state(config, dtype=jnp.float64)
    dropout_key = jax.random.fold_in(key, 7)
    (value, new_state), grads = jax.jit(rm.value_and_grad(objective))(params, state, batch, dropout_key)
    (auto_value, auto_state), auto_grads = train.autodiff(objective)(params, state, batch, dropout_key)
    np.testing.assert_allclose(value, auto_value, rtol=1e-13)
    harness.assert_close(grads, auto_grads)
    harness.assert_close(new_state, auto_state)
    assert len(grads.batchnorm) == (2 if config.batchnorm else 0)


def test_stateful_manual_and_automatic_training_agree_after_one_epoch(key):
    config = mlp.MLPConfig((4, 16, 16, 3), batchnorm="before", dropout=0.2)
    objective = Objective(config)
    params, (X, y) = problem(config, objective.loss, key)
    X, y = jnp.tile(X, (8, 1)), jnp.tile(y, 8)
    # Batch norm right after a dense layer cancels its bias: that gradient is exactly 0, and
    # both methods leave ~1e-17 of rounding there. Adam divides by sqrt(v) + eps and would
    # magnify that noise to ~1e-10, so SGD compares the two gradient routes here.
    (_, _), grads = train.autodiff(objective)(params, mlp.init_state(config, dtype=jnp.float64), (X[:8], y[:8]), key)
    assert max(float(jnp.max(jnp.abs(layer.b))) for layer in grads.dense[:-1]) < 1e-15
    results = [train.fit(objective, optim.sgd(0.1), params, (X, y), epochs=1, batch_size=8, key=key, value_and_grad=vg)
               for vg in (train.autodiff, rm.value_and_grad)]
    harness.assert_close(results[1].state.params, results[0].state.params)
    harness.assert_close(results[1].state.model_state, results[0].state.model_state)
    assert not np.allclose(results[0].state.params.dense[0].W, params.dense[0].W)
