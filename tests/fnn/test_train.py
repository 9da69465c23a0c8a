import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from fnn import optim, train
from fnn.models import mlp
from fnn.fit import fit
from fnn.objective import Objective
from fnn.util import random_draws
from tests.conftest import TRACES, CountingObjective, compilations_during

CONFIG = mlp.mlp((8,), 3, activation="tanh")


@pytest.fixture
def data(key):
    kx, ky = jax.random.split(key)
    X = random_draws.normal(kx, (50, 4))
    y = (jnp.argmax(X[:, :3], axis=1)).astype(jnp.int32)
    return X, y


@pytest.fixture
def params(key):
    return CONFIG.init(key, (4,), dtype=jnp.float64)[1]


def traces_during(run) -> int:
    """How often ``run()`` traced a CountingObjective's training loss."""
    before = len(TRACES)
    run()
    return len(TRACES) - before


def test_step_is_traced_once_and_changes_params(data, params):
    step = train.make_train_step(CountingObjective(CONFIG), optim.sgd(0.1))  # a new optimizer: a new step
    state = train.init_state(params, optim.sgd(0.1))
    losses = []

    def five_steps():
        nonlocal state
        for _ in range(5):
            state, metrics = step(state, data)
            losses.append(float(metrics["loss"]))

    assert traces_during(five_steps) == 1
    assert int(state.step) == 5
    assert losses[-1] < losses[0]


def test_a_plain_loss_function_is_traced_once_over_many_steps(data, params):
    objective = Objective(CONFIG)

    @chex.assert_max_traces(n=1)
    def loss(p, batch):
        return objective(p, batch)

    step = train.make_train_step(loss, optim.sgd(0.1))
    state = train.init_state(params, optim.sgd(0.1))
    for _ in range(5):
        state, _ = step(state, data)
    assert int(state.step) == 5


def test_step_applies_exactly_one_optimizer_update(data, params):
    objective = Objective(CONFIG)
    state = train.init_state(params, optim.sgd(0.1))
    new_state, metrics = train.make_train_step(objective, optim.sgd(0.1), grad_norm=True)(state, data)
    loss, grads = jax.value_and_grad(objective)(params, data)
    np.testing.assert_allclose(metrics["loss"], loss, rtol=1e-14)
    flat = np.concatenate([np.ravel(g) for g in jax.tree.leaves(grads)])
    np.testing.assert_allclose(metrics["grad_norm"], np.linalg.norm(flat), rtol=1e-13)
    for new, old, g in zip(jax.tree.leaves(new_state.params), jax.tree.leaves(params), jax.tree.leaves(grads)):
        np.testing.assert_allclose(new, old - 0.1 * g, rtol=1e-13, atol=1e-15)


def test_epoch_is_one_device_call_running_every_step_in_a_scan(data, params, key):
    epoch = train.make_train_epoch(CountingObjective(CONFIG), optim.adam(0.01), batch_size=16)
    state = train.init_state(params, optim.adam(0.01))
    assert traces_during(lambda: epoch(state, data, jax.random.fold_in(key, 1))) == 1
    state, metrics = epoch(state, data, jax.random.fold_in(key, 1))
    assert traces_during(lambda: epoch(state, data, jax.random.fold_in(key, 2))) == 0
    state, metrics = epoch(state, data, jax.random.fold_in(key, 2))
    assert int(state.step) == 2 * (50 // 16) and metrics["loss"].shape == (50 // 16,)
    hlo = epoch.lower(state, data, key).as_text()
    assert "while" in hlo  # the minibatch loop lives inside the one compiled program


def test_epoch_equals_the_same_steps_taken_one_by_one(data, params, key):
    objective, opt = Objective(CONFIG), optim.adam(0.01)
    state0 = train.init_state(params, opt)
    state, metrics = train.make_train_epoch(objective, opt, batch_size=16)(state0, data, key)
    step, manual = train.make_train_step(objective, opt), state0
    from fnn.data.batching import minibatch_indices

    order_key = jax.random.split(key)[0]  # the epoch splits its key: minibatch order, augmentation
    for idx in minibatch_indices(order_key, 50, 16):
        manual, m = step(manual, (data[0][idx], data[1][idx]))
    for a, b in zip(jax.tree.leaves(state.params), jax.tree.leaves(manual.params)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(metrics["loss"][-1], m["loss"], rtol=1e-12)


@pytest.mark.parametrize("optimizer", [optax.sgd(0.1, momentum=0.9, nesterov=True), optax.chain(optax.clip_by_global_norm(1.0), optax.adamw(0.01))])
def test_any_optax_optimizer_is_accepted(optimizer, data, params, key):
    with jax.numpy_dtype_promotion("standard"):  # optax mixes Python floats with int32 counts
        history = fit(Objective(CONFIG), optimizer, params, data, epochs=3, batch_size=10, key=key).history
    assert history[-1]["train_accuracy"] > history[0]["train_accuracy"] or history[-1]["train_loss"] < history[0]["train_loss"]


def test_fit_records_one_row_per_epoch_and_learns(data, params, key):
    seen = []
    state, history, *_ = fit(Objective(CONFIG), optim.adam(0.05), params, data, val=data, epochs=15,
                                   batch_size=10, key=key, on_epoch=seen.append)
    assert [r["epoch"] for r in history] == list(range(1, 16)) and seen == history
    assert set(history[0]) == {"epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "seconds"}
    assert history[-1]["train_loss"] < 0.5 * history[0]["train_loss"]
    assert history[-1]["val_accuracy"] >= 0.9
    assert int(state.step) == 15 * 5


def test_fit_without_training_set_scores_trains_the_same_and_records_the_rest(data, params, key):
    objective, optimizer = Objective(CONFIG), optim.adam(0.05)
    scored = fit(objective, optimizer, params, data, val=data, epochs=3, batch_size=10, key=key)
    unscored = fit(objective, optimizer, params, data, val=data, epochs=3, batch_size=10, key=key, train_scores=False)
    assert set(unscored.history[0]) == {"epoch", "train_loss", "val_loss", "val_accuracy", "seconds"}
    for with_scores, without in zip(scored.history, unscored.history):
        assert {k: v for k, v in with_scores.items() if k not in ("train_accuracy", "seconds")} == {
            k: v for k, v in without.items() if k != "seconds"}
    jax.tree.map(np.testing.assert_array_equal, scored.state.params, unscored.state.params)
    with pytest.raises(TypeError, match=r"fit: expected train_scores to be True or False, got 'no'"):
        fit(objective, optimizer, params, data, epochs=1, batch_size=10, key=key, train_scores="no")
    with pytest.raises(TypeError, match=r"fit: expected shuffle to be True or False, got 'yes'"):
        fit(objective, optimizer, params, data, epochs=1, batch_size=10, key=key, shuffle="yes")


def test_eval_step_reports_loss_and_accuracy(data, params):
    objective = Objective(CONFIG)
    out = train.make_eval_step(objective)(params, data)
    np.testing.assert_allclose(out["loss"], objective(params, data), rtol=1e-14)
    predicted = np.argmax(np.asarray(CONFIG.apply(params, (), data[0], train=False)[0]), axis=1)
    np.testing.assert_allclose(out["accuracy"], np.mean(predicted == np.asarray(data[1])))
    one_hot = (data[1][:, None] == jnp.arange(3, dtype=data[1].dtype)).astype(jnp.float64)
    from_one_hot = train.make_eval_step(objective)(params, (data[0], one_hot))
    assert {k: float(v) for k, v in from_one_hot.items()} == pytest.approx({k: float(v) for k, v in out.items()})


def test_fit_refuses_arguments_of_the_wrong_kind(data, params, key):
    objective = Objective(CONFIG)
    wider = mlp.mlp((16,), 3, activation="tanh").init(key, (4,), dtype=jnp.float64)[1]
    with pytest.raises(ValueError, match=r"fit: expected params\[0\].W of shape \(4, 8\) .*, got \(4, 16\)"):
        fit(objective, optim.sgd(0.1), wider, data, epochs=1, batch_size=10, key=key)
    with pytest.raises(ValueError, match=r"fit: expected params with the structure of the model's"):
        fit(objective, optim.sgd(0.1), {"W": params[0].W}, data, epochs=1, batch_size=10, key=key)
    with pytest.raises(TypeError, match=r"fit: expected key to be a PRNG key like jax.random.key\(0\), got 0"):
        fit(objective, optim.sgd(0.1), params, data, epochs=1, batch_size=10, key=0)
    with pytest.raises(TypeError, match=r"fit: expected optimizer to be an optax.GradientTransformation .*got 'adam'"):
        fit(objective, "adam", params, data, epochs=1, batch_size=10, key=key)
    with pytest.raises(TypeError, match=r"fit: expected objective to be an fnn.objective.Objective, got Sequential"):
        fit(CONFIG, optim.sgd(0.1), params, data, epochs=1, batch_size=10, key=key)
    with pytest.raises(ValueError, match=r"fit: expected batch_size to be a positive int, got 2.5"):
        fit(objective, optim.sgd(0.1), params, data, epochs=1, batch_size=2.5, key=key)


def test_fit_accepts_numpy_integers_and_raw_keys(data, params, key):
    objective = Objective(CONFIG)
    by_numpy = fit(objective, optim.sgd(0.1), params, data, epochs=np.int64(2), batch_size=np.int32(10), key=key)
    by_python = fit(objective, optim.sgd(0.1), params, data, epochs=2, batch_size=10, key=key)
    assert [r["train_loss"] for r in by_numpy.history] == [r["train_loss"] for r in by_python.history]
    raw = fit(objective, optim.sgd(0.1), params, data, epochs=1, batch_size=10, key=jax.random.key_data(key))
    assert raw.history[0]["train_loss"] == by_python.history[0]["train_loss"]


@pytest.mark.parametrize("dtype, rtol", [(jnp.float16, 2e-2), (jnp.bfloat16, 5e-2)])
def test_half_precision_parameters_train_with_adams_defaults(data, key, dtype, rtol):
    """In float16 Adam's eps = 1e-8 is 0 and in bfloat16 b2 = 0.999 is 1: both gave NaN at step 2.
    The optimizer now keeps its moments and arithmetic in float32, and the half-precision run
    follows the float32 one up to the forward pass's rounding (11 significant bits in
    float16, 8 in bfloat16)."""
    objective = Objective(CONFIG)
    single = CONFIG.init(key, (4,), dtype=jnp.float32)[1]
    runs = {kind: fit(objective, optim.injectable("adam"), jax.tree.map(lambda p: p.astype(kind), single),
                      (data[0].astype(kind), data[1]), epochs=5, batch_size=10, key=key) for kind in (jnp.float32, dtype)}
    losses = {kind: [r["train_loss"] for r in run.history] for kind, run in runs.items()}
    np.testing.assert_allclose(losses[dtype], losses[jnp.float32], rtol=rtol)
    result = runs[dtype]
    assert {leaf.dtype for leaf in jax.tree.leaves(result.state.params)} == {jnp.dtype(dtype)}
    assert {leaf.dtype for leaf in jax.tree.leaves(result.state.opt_state.inner_state.v)} == {jnp.dtype(jnp.float32)}


def test_fit_bad_input(data, params, key):
    X, y = data
    objective = Objective(CONFIG)
    with pytest.raises(ValueError, match=r"fit \(train set\): expected labels in \[0, 3\), got values in \[0, 3\]"):
        fit(objective, optim.sgd(0.1), params, (X, y.at[0].set(3)), epochs=1, batch_size=10, key=key)
    with pytest.raises(ValueError, match=r"minibatch_indices: expected at least batch_size=64 samples, got n=50"):
        fit(objective, optim.sgd(0.1), params, data, epochs=1, batch_size=64, key=key)
    with pytest.raises(ValueError, match=r"fit: expected epochs to be a positive int, got 0"):
        fit(objective, optim.sgd(0.1), params, data, epochs=0, batch_size=10, key=key)
    with pytest.raises(ValueError, match=r"fit: expected exactly one of epochs and steps, got epochs=1, steps=3"):
        fit(objective, optim.sgd(0.1), params, data, epochs=1, steps=3, batch_size=10, key=key)
    with pytest.raises(ValueError, match=r"fit: expected params\[0\].W of shape \(5, 8\) for inputs of shape \(5,\), "
                                         r"got \(4, 8\): params made for another model or other inputs"):
        fit(objective, optim.sgd(0.1), params, (jnp.ones((50, 5)), y), epochs=1, batch_size=10, key=key)
    with pytest.raises(ValueError, match=r"fit: expected as many val labels as samples"):
        fit(objective, optim.sgd(0.1), params, data, val=(X, y[:10]), epochs=1, batch_size=10, key=key)


SCHEDULE_ARGS = {
    "constant": {"init_value": 0.01},
    "inverse_time": {"init_value": 0.01, "decay": 0.1},
    "harmonic": {"init_value": 0.01},
    "power": {"init_value": 0.01, "exponent": 0.5},
    "staircase": {"init_value": 0.01, "decay_rate": 0.5, "step_size": 3},
    "exponential": {"init_value": 0.01, "decay_rate": 0.5, "step_size": 3},
    "linear_warmup": {"peak_value": 0.01, "warmup_steps": 4},
    "cyclical": {"base_lr": 0.001, "max_lr": 0.01, "step_size": 2, "mode": "triangular2"},
    "cosine_restarts": {"init_value": 0.01, "total_steps": 9, "cycles": 3},
}


def test_schedule_table_covers_every_schedule():
    from fnn.optim import schedules

    assert set(SCHEDULE_ARGS) == set(schedules.BY_NAME)


@pytest.mark.parametrize("name, schedule", list(zip(sorted(optim.BY_NAME), sorted(SCHEDULE_ARGS))))
def test_changing_any_hyperparameter_never_retraces_the_epoch(name, schedule, data, params, key):
    rate = {"learning_rate": 1e-3} if name == "rprop" else {}  # Rprop's rate is its initial step, not a schedule
    kwargs = rate if rate else {"schedule": schedule, "schedule_args": SCHEDULE_ARGS[schedule]}
    optimizer = optim.injectable(name, clip_norm=10.0, **kwargs)
    epoch = train.make_train_epoch(CountingObjective(CONFIG), optimizer, batch_size=16)
    state, _ = epoch(train.init_state(params, optimizer), data, key)
    hyper = state.opt_state.hyperparams
    for k, v in hyper.items():  # every numeric hyperparameter, the schedule's included, scaled
        hyper[k] = jnp.array(v * (2 if jnp.issubdtype(v.dtype, jnp.integer) else 0.5), v.dtype)
    assert traces_during(lambda: epoch(state, data, key)) == 0
    changed, _ = epoch(state, data, key)
    assert int(changed.step) == 6


def test_a_second_fit_on_the_same_shapes_compiles_nothing(data, params, key):
    """The same model and an optimizer that differs only in its numbers: the epoch, the evaluation
    and every small operation between epochs are compiled already (no executable is built or loaded)."""

    def run(rate, seed):
        optimizer = optim.injectable("adam", learning_rate=rate, clip_norm=5.0)
        return fit(Objective(CONFIG), optimizer, params, data, val=data, epochs=3, batch_size=16,
                   key=jax.random.fold_in(key, seed))

    first = run(0.01, 0)
    assert compilations_during(lambda: run(0.002, 1)) == 0
    assert compilations_during(lambda: run(0.01, 0)) == 0
    assert run(0.01, 0).history[-1]["val_loss"] == first.history[-1]["val_loss"]


def test_fit_for_a_number_of_steps_cuts_the_last_epoch(data, params, key):
    """13 steps of 5 per epoch: two whole epochs, then 3 steps (the same as the first 3 of a third epoch)."""
    objective, opt = Objective(CONFIG), optim.sgd(0.1)
    result = fit(objective, opt, params, data, steps=13, batch_size=10, key=key)
    assert int(result.state.step) == 13 and len(result.history) == 3
    two = fit(objective, opt, params, data, epochs=2, batch_size=10, key=key)
    loop_key = jax.random.split(key)[0]  # fit keeps a key for the train state, then splits one per epoch
    for _ in range(3):
        loop_key, epoch_key = jax.random.split(loop_key)
    partial_steps = train.make_train_epoch(objective, opt, batch_size=10, steps=3)
    expected, _ = partial_steps(two.state, data, epoch_key)
    for a, b in zip(jax.tree.leaves(result.state.params), jax.tree.leaves(expected.params)):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


def test_minibatches_in_order_without_shuffling(data, params, key):
    objective, opt = Objective(CONFIG), optim.sgd(0.1)
    in_order = train.make_train_epoch(objective, opt, batch_size=10, shuffle=False)
    state, _ = in_order(train.init_state(params, opt), data, key)
    step, manual = train.make_train_step(objective, opt), train.init_state(params, opt)
    for start in range(0, 50, 10):
        manual, _ = step(manual, (data[0][start:start + 10], data[1][start:start + 10]))
    for a, b in zip(jax.tree.leaves(state.params), jax.tree.leaves(manual.params)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    other_key, _ = in_order(train.init_state(params, opt), data, jax.random.fold_in(key, 9))
    for a, b in zip(jax.tree.leaves(state.params), jax.tree.leaves(other_key.params)):
        np.testing.assert_array_equal(a, b)  # the order does not depend on the key


def test_a_deterministic_model_splits_no_key_and_a_dropout_model_does(data, params, key):
    opt = optim.sgd(0.1)
    state = train.init_state(params, opt, key=key)
    deterministic = train.make_train_step(Objective(CONFIG), opt)(state, data)[0]
    np.testing.assert_array_equal(jax.random.key_data(deterministic.key), jax.random.key_data(key))
    dropout = mlp.mlp((8,), 3, activation="tanh", dropout=0.5)
    dropout_params = dropout.init(key, (4,), dtype=jnp.float64)[1]
    stepped = train.make_train_step(Objective(dropout), opt)(train.init_state(dropout_params, opt, key=key), data)[0]
    assert not np.array_equal(jax.random.key_data(stepped.key), jax.random.key_data(key))
    assert Objective(CONFIG).needs_key is False and Objective(dropout).needs_key is True
    lean = train.make_train_step(Objective(CONFIG), opt)(state, data)[1]
    assert set(lean) == {"loss"}


def test_non_finite_data_is_refused_before_training(data, params, key):
    X, y = data
    with pytest.raises(ValueError, match=r"fit: expected finite train inputs X, got 2 NaN or infinite entries"):
        fit(Objective(CONFIG), optim.sgd(0.1), params, (X.at[0, 1].set(jnp.nan).at[3, 0].set(jnp.inf), y),
            epochs=1, batch_size=10, key=key)
    soft = jax.nn.one_hot(y, 3).at[2, 0].set(jnp.nan)
    with pytest.raises(ValueError, match=r"fit: expected finite val targets y, got 1 NaN or infinite entries"):
        fit(Objective(CONFIG), optim.sgd(0.1), params, data, val=(X, soft), epochs=1, batch_size=10, key=key)


def test_a_loss_that_becomes_non_finite_stops_the_run_naming_epoch_and_step(data, params, key, tmp_path):
    from fnn.fit import NonFiniteError

    with pytest.raises(NonFiniteError, match=r"fit: the training loss became nan at epoch 1, step 2 \(2 of the epoch\)"):
        fit(Objective(CONFIG), optim.sgd(float("inf")), params, data, epochs=3, batch_size=10, key=key,
            checkpoint_dir=tmp_path)
    assert not (tmp_path / "last.npz").exists()  # nothing broken is saved
