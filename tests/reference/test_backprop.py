import dataclasses
import importlib
import inspect
import pkgutil

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn import activations, losses, optim, tasks, train
from fnn.fit import fit
from fnn.layers import Activation, Bidirectional, Dense, Residual, Sequential, Unpooled
from fnn.models import autoencoder, mlp
from fnn.objective import Objective
from fnn.regularizers import Penalty
from fnn.util import random_draws
from reference import backprop, cases, gradcheck
from reference.gradcheck import KINK_TOLERANCE
from tests.reference import harness


def problem(model, task, key, in_width=4):
    k1, k2, k3 = jax.random.split(key, 3)
    _, params, state = model.init(k1, (in_width,), dtype=jnp.float64)
    params = jax.tree.map(lambda p: p + 0.05 * random_draws.normal(k3, p.shape, p.dtype), params)
    X = random_draws.normal(k2, (9, in_width), jnp.float64)
    outputs = jax.eval_shape(lambda p: model.apply(p, state, X, train=False)[0], params).shape[-1]
    if isinstance(task, tasks.Classification):
        y = jax.random.randint(k3, (9,), 0, outputs)
    elif isinstance(task, tasks.Binary):
        y = jax.random.randint(k3, (9,), 0, 2)
    else:
        y = random_draws.normal(k3, (9, outputs), jnp.float64)
    return params, state, (X, y)


def assert_equals_autodiff(objective, params, state, batch, key=None):
    (value, new_state), grads = jax.jit(backprop.value_and_grad(objective))(params, state, batch, key)
    (auto_value, auto_state), auto_grads = jax.jit(train.autodiff(objective))(params, state, batch, key)
    np.testing.assert_allclose(value, auto_value, rtol=1e-13)
    harness.assert_close(grads, auto_grads)
    harness.assert_close(new_state, auto_state)
    return grads


@pytest.mark.parametrize("activation", [*sorted(activations.ELEMENTWISE), "maxout"])
def test_backprop_equals_autodiff_for_every_hidden_activation(activation, key):
    objective = Objective(mlp.mlp((6, 5), 3, activation=activation))
    assert_equals_autodiff(objective, *problem(objective.model, objective.task, key))


@pytest.mark.parametrize("loss, regularizer", [*((name, None) for name in sorted(losses.BY_NAME)),
                                               ("softmax_cross_entropy", "l1"), ("mse", "l2"), ("binary_log_loss", "elastic_net")])
def test_backprop_equals_autodiff_for_every_loss_and_regularizer(loss, regularizer, key):
    task = tasks.for_loss(loss)
    penalty = Penalty(regularizer, 0.03, beta=0.4) if regularizer else None
    objective = Objective(mlp.mlp((6, 5), 1 if loss == "binary_log_loss" else 3, activation="tanh"), task, penalty)
    assert_equals_autodiff(objective, *problem(objective.model, task, key))


STATEFUL = [
    dict(batchnorm="before"),
    dict(batchnorm="after", unbiased_variance=True),
    dict(dropout=0.3),
    dict(dropout=0.2, dropout_form="lecture", batchnorm="before"),
    dict(dropout=0.25, batchnorm="after", activation="elu", residual=True),
    dict(activation="maxout", pieces=3, residual=True, batchnorm="before"),
]


@pytest.mark.parametrize("options", STATEFUL, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_backprop_through_batchnorm_dropout_residual_and_maxout_equals_autodiff(options, key):
    model = mlp.mlp((6, 6), 3, **{"activation": "tanh", **options})
    objective = Objective(model, penalty=Penalty("l2", 0.01))
    params, state, batch = problem(model, objective.task, key)
    assert_equals_autodiff(objective, params, state, batch, jax.random.fold_in(key, 7))


def test_a_model_the_command_line_does_not_offer(key):
    """Dense, a residual tanh block, dense: the generic backprop needs nothing new."""
    model = Sequential(Dense(8, "glorot_normal"), Residual(Sequential(Dense(8, "glorot_normal"), Activation("tanh"))),
                       Dense(3, "glorot_normal"))
    objective = Objective(model)
    params, state, batch = problem(model, objective.task, key)
    grads = assert_equals_autodiff(objective, params, state, batch)
    assert np.abs(np.asarray(grads[1][0].W)).max() > 0


@pytest.mark.parametrize("decoder", autoencoder.DECODERS)
def test_backprop_through_the_conv_autoencoder_equals_autodiff(decoder, key):
    """Nested max-unpooling or transposed convolutions, a sigmoid output, the reconstruction loss."""
    model = autoencoder.conv_autoencoder((4, 4, 1), channels=(3, 2), decoder=decoder, activation="tanh")
    objective = Objective(model, tasks.Reconstruction())
    params, state, (X, _) = problem(model, objective.task, key, in_width=16)
    grads = assert_equals_autodiff(objective, params, state, (X, X + 0.1 * random_draws.normal(key, X.shape, X.dtype)))
    assert all(np.abs(np.asarray(leaf)).max() > 0 for leaf in jax.tree.leaves(grads))


def test_backprop_matches_finite_differences(key):
    objective = Objective(mlp.mlp((5, 4), 3, activation="relu"), penalty=Penalty("l2", 0.1))
    params, state, batch = problem(objective.model, objective.task, key, in_width=3)
    _, grads = backprop.value_and_grad(objective)(params, state, batch, None)
    numeric = gradcheck.numerical_gradient(lambda p: objective(p, batch), params)
    assert gradcheck.max_relative_error(grads, numeric) <= KINK_TOLERANCE


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_manual_and_automatic_training_give_the_same_parameters_after_one_epoch(optimizer, key):
    """Batch norm right after a dense layer cancels its bias: that gradient is exactly 0, and both
    routes leave ~1e-17 of rounding there. Adam divides by sqrt(v) + eps and magnifies that noise to
    ~1e-10, so the batch-norm model is compared with SGD and the plain one with Adam."""
    options = dict(activation="relu") if optimizer == "adam" else dict(batchnorm="before", dropout=0.2)
    objective = Objective(mlp.mlp((16, 16), 3, **options), penalty=Penalty("l2", 1e-3))
    params, _, (X, y) = problem(objective.model, objective.task, key)
    X, y = jnp.tile(X, (8, 1)), jnp.tile(y, 8)
    opt = optim.get(optimizer)(0.01)
    results = [fit(objective, opt, params, (X, y), epochs=1, batch_size=8, key=key, value_and_grad=vg)
               for vg in (train.autodiff, backprop.value_and_grad)]
    assert int(results[0].state.step) == 9
    harness.assert_close(results[1].state.params, results[0].state.params)
    harness.assert_close(results[1].state.model_state, results[0].state.model_state)
    moved = max(float(jnp.max(jnp.abs(a - b))) for a, b in zip(jax.tree.leaves(results[0].state.params),
                                                               jax.tree.leaves(params)))
    assert moved > 1e-3


def test_every_layer_type_with_a_rule_has_a_gradient_check_case():
    covered = {type(leaf) for case in cases.CASES for leaf in backprop.leaves(case.layer)}
    assert set(backprop.RULES) <= covered
    combinators = {type(case.layer) for case in cases.CASES}
    assert {Sequential, Residual, Unpooled, Bidirectional} <= combinators


COMBINATORS = (Sequential, Residual, Unpooled, Bidirectional)
"""Layers made of layers: ``reference.backprop`` sweeps through them itself."""


def protocol_layers() -> dict:
    """Every layer spec fnn defines, found by the protocol (a class of an ``fnn.layers`` module with
    ``init``, ``apply`` and ``weight_mask``), not by a list: class -> its module."""
    import fnn.layers

    found = {}
    for info in pkgutil.iter_modules(fnn.layers.__path__):
        module = importlib.import_module(f"fnn.layers.{info.name}")
        for cls in vars(module).values():
            if inspect.isclass(cls) and cls.__module__ == module.__name__ and not getattr(cls, "_is_protocol", False) \
                    and all(callable(getattr(cls, method, None)) for method in ("init", "apply", "weight_mask")):
                found[cls] = module.__name__
    return found


def test_every_fnn_layer_has_a_rule_a_case_and_an_export():
    from fnn import layers

    found = protocol_layers()
    assert len(found) > 15 and set(COMBINATORS) <= set(found)
    in_cases = {type(leaf) for case in cases.CASES for leaf in backprop.leaves(case.layer)}
    todo = []
    for cls, module in sorted(found.items(), key=lambda item: item[0].__name__):
        file, short = module.replace(".", "/") + ".py", module.rsplit(".", 1)[1]
        if cls not in COMBINATORS and cls not in backprop.RULES:
            todo.append(f"{cls.__name__} ({file}) has no hand-derived rule: write its forward and backward in "
                        f"reference/layers/{short}.py and add them to reference.backprop.RULES")
        if cls not in COMBINATORS and cls not in in_cases:
            todo.append(f"{cls.__name__} ({file}) is in no gradient-check case: add a Case to reference/cases.py")
        if getattr(layers, cls.__name__, None) is not cls or cls.__name__ not in layers.__all__:
            todo.append(f"{cls.__name__} ({file}) is not exported: add it to fnn/layers/__init__.py and its __all__")
    assert not todo, "\n".join(todo)
    assert set(backprop.RULES) <= set(found)


def test_a_layer_without_a_rule_is_an_error_before_tracing():
    @dataclasses.dataclass(frozen=True)
    class Square:
        def init(self, key, in_shape, *, dtype):
            return in_shape, (), ()

        def apply(self, params, state, X, *, train, key=None):
            return X * X, state

        def weight_mask(self, params):
            return ()

    with pytest.raises(TypeError, match=r"reference.backprop: no hand-derived backward rule for layer type\(s\) Square"):
        backprop.value_and_grad(Objective(Sequential(Dense(3), Square())))
    with pytest.raises(TypeError, match=r"reference.backprop.value_and_grad: expected an fnn.objective.Objective, got function"):
        backprop.value_and_grad(lambda p, b: 0.0)


def test_the_hand_derived_forward_is_as_strict_as_fnn(key):
    model = mlp.mlp((4,), 3, batchnorm="before")
    _, params, state = model.init(key, (2,), dtype=jnp.float64)
    X = jnp.ones((5, 2))
    with pytest.raises(ValueError, match=r"reference.backprop.forward: expected params as a tuple with one entry per layer \(4\)"):
        backprop.forward(model, params[:-1], state, X)
    with pytest.raises(ValueError, match=r"reference.layers.batchnorm: expected its state \(running mean and variance\), got \(\)"):
        backprop.forward(model, params, (), X)
