"""fnn.transfer: a body copied into a fresh model, a fresh head, and the fine-tuning optimizer."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from fnn import optim, transfer
from fnn.layers import Activation, Dense, Sequential
from fnn.models import mlp
from fnn.optim.injectable import learning_rate_of
from fnn.util import random_draws

IN = (6,)


def init(model, seed):
    return model.init(jax.random.key(seed), IN, dtype=jnp.float64)[1:]


def test_every_layer_but_the_head_is_the_source_s_and_the_head_keeps_its_fresh_values():
    source_model, model = mlp.mlp((5, 4), 3), mlp.mlp((5, 4), 2)
    (source, _), (fresh, _) = init(source_model, 0), init(model, 1)
    head = transfer.head_index(fresh)
    assert head == 4 and transfer.head_index(init(Sequential(Dense(3), Activation("relu")), 0)[0]) == 0
    params = jax.jit(lambda s, f: transfer.transfer(model, s, f, head=head))(source, fresh)
    for i in range(head):
        jax.tree.map(np.testing.assert_array_equal, params[i], source[i])
    jax.tree.map(np.testing.assert_array_equal, params[head], fresh[head])
    same_task = transfer.transfer(source_model, source, init(source_model, 1)[0], head=None)
    jax.tree.map(np.testing.assert_array_equal, same_task, source)


def test_a_float32_source_is_cast_to_the_new_model_s_dtype():
    model = mlp.mlp((5,), 2)
    source = model.init(jax.random.key(0), IN, dtype=jnp.float32)[1]
    params = transfer.transfer(model, source, init(model, 1)[0], head=2)
    assert params[0].W.dtype == jnp.float64 and np.array_equal(params[0].W, source[0].W.astype(jnp.float64))


@pytest.mark.parametrize("source_model, message", [
    (mlp.mlp((7, 4), 2), r"layer 0 \(Dense\(units=5.*\) \.W: expected shape \(6, 5\) \(the new model\), got \(6, 7\)"),
    (mlp.mlp((5, 4), 2, batchnorm="before"), "expected a source with the new model's 5 layers, got 7"),
    (mlp.mlp((5, 4), 2, activation="maxout"), r"layer 0 .* \.W: expected shape \(6, 5\) .*, got \(6, 10\)"),
])
def test_a_source_of_another_architecture_is_an_error_naming_the_layer_and_both_shapes(source_model, message):
    model = mlp.mlp((5, 4), 2)
    with pytest.raises(ValueError, match=f"transfer: {message}"):
        transfer.transfer(model, init(source_model, 0)[0], init(model, 1)[0], head=4)


def test_layers_of_other_kinds_are_an_error_naming_both_sets_of_arrays():
    swapped = Sequential(Activation("relu"), Dense(2))
    with pytest.raises(ValueError, match=r"layer 0 \(Activation.*expected the new model's arrays \[\], got the "
                                         r"source's \['\.W', '\.b'\]"):
        transfer.transfer(swapped, init(Sequential(Dense(2), Activation("relu")), 0)[0], init(swapped, 0)[0], head=None)


def test_batch_norm_running_statistics_are_copied_with_the_body():
    model = mlp.mlp((5,), 2, batchnorm="before")
    _, state = init(model, 0)
    trained = jax.tree.map(lambda s: s + 1.0, state)
    copied = transfer.transfer(model, trained, state, head=3)
    np.testing.assert_array_equal(copied[1].mean, trained[1].mean)
    stateless = init(mlp.mlp((5,), 2), 0)[1]
    assert transfer.transfer(model, (), stateless, head=2) is stateless  # a stateless model's state may be ()


def train(optimizer, params, steps=5):
    """``steps`` updates of a squared loss on fixed data; the final parameters and the optimizer state."""
    X = random_draws.normal(jax.random.key(2), (8, *IN), jnp.float64)
    model = mlp.mlp((5, 4), 2)
    loss = lambda p: jnp.mean(model.apply(p, (), X, train=False)[0] ** 2)  # noqa: E731
    state = optimizer.init(params)

    @jax.jit
    def step(params, state):
        updates, state = optimizer.update(jax.grad(loss)(params), state, params)
        return optax.apply_updates(params, updates), state

    for _ in range(steps):
        params, state = step(params, state)
    return params, state


def test_a_frozen_body_stays_bit_identical_and_the_head_learns():
    params, _ = init(mlp.mlp((5, 4), 2), 0)
    adam = optim.injectable("adam", learning_rate=0.1, clip_norm=1.0, weight_decay=0.1,
                            weight_decay_mask=mlp.mlp((5, 4), 2).weight_mask)
    trained, state = train(transfer.fine_tuning(adam, 4, body_scale=0.0), params)
    for i in range(4):
        jax.tree.map(lambda a, b: np.testing.assert_array_equal(np.asarray(a).view(np.uint64),
                                                                np.asarray(b).view(np.uint64)), trained[i], params[i])
    assert not np.array_equal(trained[4].W, params[4].W)
    assert float(learning_rate_of(state)) == 0.1  # the state is the optimizer's own: a plateau reaches its rate


def test_the_body_s_updates_are_the_scale_times_the_optimizer_s_and_adam_s_equal_a_smaller_body_rate():
    params, _ = init(mlp.mlp((5, 4), 2), 0)
    grads = jax.tree.map(lambda p: jnp.cos(3.0 * p) + 0.5, params)
    sgd = optax.sgd(0.1)
    scaled, _ = transfer.fine_tuning(sgd, 4, body_scale=0.25).update(grads, sgd.init(params), params)
    plain, _ = sgd.update(grads, sgd.init(params), params)
    for i, (s, p) in enumerate(zip(scaled, plain)):
        jax.tree.map(lambda s, p: np.testing.assert_array_equal(s, p * (1.0 if i == 4 else 0.25)), s, p)
    fine_tuned = train(transfer.fine_tuning(optim.adam(0.01), 4, body_scale=0.1), params)[0]
    by_rate = train(optax.multi_transform({"body": optim.adam(0.001), "head": optim.adam(0.01)},
                                          tuple("head" if i == 4 else "body" for i in range(5))), params)[0]
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15), fine_tuned, by_rate)


@pytest.mark.parametrize("call, message", [
    (lambda: transfer.fine_tuning(optax.sgd(0.1), 1, body_scale=-0.1), r"body_scale in \[0, inf\], got -0.1"),
    (lambda: transfer.fine_tuning(optax.sgd(0.1), 5, body_scale=0.1).init(init(mlp.mlp((5,), 2), 0)[0]),
     "expected head < 3, the number of layers, got 5"),
    (lambda: transfer.head_index({"W": 1}), "expected the parameters of a Sequential model, a tuple"),
    (lambda: transfer.head_index(((), ())), "expected a model with parameters, got none in any layer"),
])
def test_wrong_arguments_are_errors_naming_them(call, message):
    with pytest.raises(ValueError, match=message):
        call()
