import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn import losses, regularizers, tasks, train
from fnn.layers import Dense
from fnn.models import mlp
from fnn.objective import Objective
from fnn.regularizers import Penalty
from fnn.util import random_draws

MODEL = mlp.mlp((5,), 4)


@pytest.fixture
def setup(key):
    params = MODEL.init(key, (3,), dtype=jnp.float64)[1]
    X = random_draws.normal(key, (7, 3))
    y = jnp.array([0, 1, 2, 3, 0, 1, 2])
    return params, X, y


def test_objective_is_loss_plus_lambda_penalty(setup):
    params, X, y = setup
    logits = MODEL.apply(params, (), X, train=False)[0]
    objective = Objective(MODEL, penalty=Penalty("elastic_net", 0.01, beta=0.25))
    mask = MODEL.weight_mask(params)
    expected = losses.softmax_cross_entropy(logits, y) + 0.01 * regularizers.elastic_net(params, mask, beta=0.25)
    np.testing.assert_allclose(jax.jit(objective)(params, (X, y)), expected, rtol=1e-14)
    plain = Objective(MODEL)
    np.testing.assert_allclose(plain(params, (X, y)), losses.softmax_cross_entropy(logits, y), rtol=1e-14)


def test_binary_task_reshapes_labels_and_predicts_by_sign(key):
    model = Dense(1)
    objective = Objective(model, tasks.Binary())
    params = model.init(key, (3,), dtype=jnp.float64)[1]
    X = random_draws.normal(key, (6, 3))
    y = jnp.array([0, 1, 1, 0, 1, 0])
    logits = model.apply(params, (), X, train=False)[0]
    expected = losses.binary_log_loss(logits, y.reshape(-1, 1).astype(jnp.float64))
    np.testing.assert_allclose(objective(params, (X, y)), expected, rtol=1e-14)
    np.testing.assert_array_equal(objective.predict(params, X), (np.asarray(logits[:, 0]) > 0).astype(int))
    assert objective.task.num_classes(1) == 2 and objective.is_classifier


def test_regression_task_reports_the_metrics_of_scikit_learn(key):
    from sklearn import metrics as sk

    model = Dense(1)
    params = model.init(key, (3,), dtype=jnp.float64)[1]
    X = random_draws.normal(key, (20, 3))
    y = random_draws.normal(jax.random.fold_in(key, 1), (20,))
    objective = Objective(model, tasks.Regression("huber"))
    outputs = objective.outputs(params, X)
    np.testing.assert_allclose(objective(params, (X, y)), losses.huber(outputs, y[:, None]), rtol=1e-14)
    reported = objective.task.metrics(outputs, y)
    predicted, truth = np.asarray(outputs)[:, 0], np.asarray(y)
    assert float(reported["mse"]) == pytest.approx(sk.mean_squared_error(truth, predicted), rel=1e-12)
    assert float(reported["rmse"]) == pytest.approx(np.sqrt(sk.mean_squared_error(truth, predicted)), rel=1e-12)
    assert float(reported["mae"]) == pytest.approx(sk.mean_absolute_error(truth, predicted), rel=1e-12)
    assert float(reported["r2"]) == pytest.approx(sk.r2_score(truth, predicted), rel=1e-12)
    assert not objective.is_classifier and tasks.for_loss("mae") == tasks.Regression("mae")


def test_the_reconstruction_task_reports_pooled_errors_of_every_value(key):
    """MSE and MAE over all N x D values (scikit-learn's uniform average); no R^2 (constant pixels)."""
    from sklearn import metrics as sk

    X = random_draws.uniform(key, (12, 5))
    outputs = X + 0.1 * random_draws.normal(jax.random.fold_in(key, 1), X.shape)
    reported = tasks.Reconstruction().metrics(outputs, X)
    assert set(reported) == {"mse", "mae"}
    assert float(reported["mse"]) == pytest.approx(sk.mean_squared_error(X, outputs), rel=1e-12)
    assert float(reported["mae"]) == pytest.approx(sk.mean_absolute_error(X, outputs), rel=1e-12)


def test_the_model_declares_its_weights_not_their_names(key):
    """A penalty covers exactly the leaves the layers declare, whatever their field names."""
    model = mlp.mlp((5,), 4, batchnorm="before")
    params = model.init(key, (3,), dtype=jnp.float64)[1]
    mask = model.weight_mask(params)
    assert jax.tree.leaves(mask) == [True, False, False, False, True, False]  # W, b, gamma, beta, W, b
    shifted = jax.tree.map(lambda p, is_weight: p if is_weight else p + 7.0, params, mask)
    objective = Objective(model, penalty=Penalty("l2", 0.5))
    assert objective.penalty_value(shifted) == objective.penalty_value(params)


def test_bad_configuration():
    with pytest.raises(ValueError, match=r"Penalty: expected strength in \[0, inf\], got -1.0"):
        Penalty("l2", -1.0)
    with pytest.raises(ValueError, match=r"Classification: unknown loss 'mse'; expected one of multiclass_hinge"):
        tasks.Classification("mse")
    with pytest.raises(ValueError, match=r"tasks.for_loss: unknown loss 'nll'"):
        tasks.for_loss("nll")
    with pytest.raises(TypeError, match=r"Objective: expected a layer \(init, apply, weight_mask\), got function"):
        Objective(lambda x: x)
    with pytest.raises(TypeError, match=r"Objective: expected a task from fnn.tasks, got str"):
        Objective(MODEL, "classification")


def test_mixed_precision_computes_in_bfloat16_and_keeps_float32_values_gradients_and_state(key):
    model = mlp.mlp((32,), 3, batchnorm="before", dropout=0.2)
    _, params, state = model.init(key, (5,), dtype=jnp.float32)
    X = random_draws.normal(jax.random.fold_in(key, 1), (64, 5), jnp.float32)
    y = jnp.argmax(X[:, :3], axis=1)
    mixed, plain = Objective(model, compute_dtype=jnp.bfloat16), Objective(model)
    (value, new_state), grads = jax.jit(train.autodiff(mixed))(params, state, (X, y), key)
    (plain_value, _), plain_grads = jax.jit(train.autodiff(plain))(params, state, (X, y), key)
    assert {leaf.dtype for leaf in jax.tree.leaves((value, new_state, grads))} == {jnp.dtype(jnp.float32)}
    assert "bf16[64,32]" in str(jax.make_jaxpr(lambda p: mixed.outputs(p, X, state))(params))
    # bfloat16 keeps 8 significant bits: ~0.4% per rounding, a few percent after a network
    assert abs(float(value) - float(plain_value)) <= 0.02 * abs(float(plain_value))
    flat, plain_flat = (jnp.concatenate([g.ravel() for g in jax.tree.leaves(t)]) for t in (grads, plain_grads))
    assert 0 < float(jnp.linalg.norm(flat - plain_flat) / jnp.linalg.norm(plain_flat)) <= 0.05


def test_mixed_precision_needs_a_floating_dtype_and_autodiff():
    from reference import backprop

    with pytest.raises(TypeError, match="compute_dtype to be None or a floating dtype, got <class 'jax.numpy.int32'>"):
        Objective(MODEL, compute_dtype=jnp.int32)
    with pytest.raises(ValueError, match="without compute_dtype .* got compute_dtype bfloat16"):
        backprop.value_and_grad(Objective(MODEL, compute_dtype=jnp.bfloat16))


def test_mixed_precision_keeps_the_running_statistics_in_float32(key):
    """Momentum 0.99 over 300 steps: a bfloat16 running mean would stall (0.01 x a small change rounds away);
    in float32 it follows the batch means to bfloat16's resolution of those means (~0.4%)."""
    model = mlp.mlp((8,), 3, batchnorm="before", batchnorm_momentum=0.99)
    _, params, state = model.init(key, (5,), dtype=jnp.float32)
    X = 3.0 + random_draws.normal(jax.random.fold_in(key, 1), (64, 5), jnp.float32)
    y = jnp.arange(64) % 3

    def running(objective):
        def step(state, _):
            return objective.train_loss(params, state, (X, y), None)[1], None
        return jax.jit(lambda s: jax.lax.scan(step, s, length=300)[0])(state)

    mixed, plain = running(Objective(model, compute_dtype=jnp.bfloat16)), running(Objective(model))
    for m, p in zip(jax.tree.leaves(mixed), jax.tree.leaves(plain)):
        assert m.dtype == jnp.float32
        np.testing.assert_allclose(m, p, rtol=1e-2, atol=1e-2)


def test_class_scores_are_probabilities_for_the_log_losses_and_the_scores_for_the_hinge():
    a = jnp.array([[2.0, -1.0, 0.5], [0.0, 0.0, 3.0]])
    np.testing.assert_allclose(tasks.Classification().class_scores(a), np.exp(a) / np.exp(a).sum(1, keepdims=True),
                               rtol=1e-6)
    hinge = tasks.Classification("multiclass_hinge")
    assert not hinge.probabilities and np.array_equal(hinge.class_scores(a), a)
    p = tasks.Binary().class_scores(jnp.array([[0.0], [2.0]]))
    np.testing.assert_allclose(p, [[0.5, 0.5], [1 - 1 / (1 + np.exp(-2)), 1 / (1 + np.exp(-2))]], rtol=1e-6)
