import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn import activations, optim, train
from fnn.models import mlp
from fnn.fit import Controls, fit
from fnn.objective import Objective
from tests.conftest import TRACES, CountingObjective
from fnn.optim import control
from fnn.util import random_draws


def run_early_stopping(config, losses):
    state, trace = config.init(), []
    for epoch, loss in enumerate(losses, start=1):
        state = config.update(state, epoch, loss)
        trace.append((state.patience, state.stop))
        if state.stop:
            return epoch, state, trace
    return None, state, trace


def test_patience_grows_to_twice_the_epoch_on_a_significant_improvement():
    config = control.EarlyStopping(patience=3, patience_increase=2.0, improvement_threshold=0.9)
    #          e=1   e=2   e=3   e=4    e=5   e=6   e=7   e=8   e=9
    losses = [1.0, 0.8, 0.79, 0.5, 0.5, 0.6, 0.49, 0.7, 0.7]
    stopped, state, trace = run_early_stopping(config, losses)
    # e=1: 1.0 < 0.9 inf -> patience max(3, 2) = 3; e=2: 0.8 < 0.9 -> max(3, 4) = 4;
    # e=3: 0.79 improves, not significantly -> 4; e=4: 0.5 < 0.711 -> 8; e=7: 0.49 not significant.
    assert [p for p, _ in trace] == [3, 4, 4, 8, 8, 8, 8, 8]
    assert stopped == 8 and state.best == 0.49 and state.best_epoch == 7


def test_stops_after_patience_without_improvement():
    stopped, state, _ = run_early_stopping(control.EarlyStopping(patience=5), [1.0] + [2.0] * 10)
    assert stopped == 5 and state.best_epoch == 1


def run_plateau(config, losses, lr=1.0):
    state, lrs = config.init(lr), []
    for loss in losses:
        state = config.update(state, loss)
        lrs.append(state.learning_rate)
    return lrs


def test_plateau_cuts_after_patience_bad_epochs_then_cools_down():
    config = control.ReduceOnPlateau(factor=0.5, patience=2, threshold=0.1, cooldown=2, min_lr=0.2)
    # Improving means L < 0.9 best. e1 best=1; e2-e4 bad 1,2,3 -> cut to 0.5, cooldown 2 (e5, e6);
    # e7-e9 bad 1,2,3 -> 0.25; cooldown e10, e11; e12 0.90 is not < 0.90 (bad 1); e13 0.89 improves
    # (best 0.89, bad 0); e14-e16 bad 1,2,3 -> max(0.125, min_lr) = 0.2.
    losses = [1.0, 0.95, 0.99, 0.98, 0.97, 0.96, 0.95, 0.94, 0.93, 0.92, 0.91, 0.9, 0.89, 0.88, 0.87, 0.86]
    lrs = run_plateau(config, losses)
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.2]


def test_plateau_significant_improvements_reset_the_count():
    config = control.ReduceOnPlateau(factor=0.1, patience=1, threshold=0.01)
    assert run_plateau(config, [1.0, 0.9, 0.8, 0.7, 0.7, 0.7]) == [1.0, 1.0, 1.0, 1.0, 1.0, pytest.approx(0.1)]


@pytest.fixture
def iterates(key):
    return [{"W": random_draws.normal(jax.random.fold_in(key, i), (3, 2)), "b": jnp.full((2,), float(i))}
            for i in range(7)]


def test_polyak_average_equals_the_mean_of_the_iterates(iterates):
    config = control.Averaging("polyak")
    state = config.init(iterates[0])
    for theta in iterates:
        state = config.update(state, theta)
    for name in ("W", "b"):
        np.testing.assert_allclose(config.value(state)[name], np.mean(np.stack([t[name] for t in iterates]), axis=0),
                                   rtol=1e-12, atol=1e-15)


def test_ema_with_bias_correction_equals_its_weighted_sum(iterates):
    decay = 0.8
    config = control.Averaging("ema", decay)
    state = config.init(iterates[0])
    for theta in iterates:
        state = config.update(state, theta)
    n = len(iterates)
    weights = np.array([(1 - decay) * decay ** (n - 1 - k) for k in range(n)]) / (1 - decay**n)
    assert math.isclose(weights.sum(), 1.0)
    expected = np.tensordot(weights, np.stack([t["W"] for t in iterates]), axes=1)
    np.testing.assert_allclose(config.value(state)["W"], expected, rtol=1e-12)
    constant = config.init(iterates[0])
    for _ in range(3):
        constant = config.update(constant, iterates[2])
    np.testing.assert_allclose(config.value(constant)["b"], iterates[2]["b"], rtol=1e-13)  # unbiased from the start


def test_snapshots_keep_the_last_m_cycle_ends_and_average_softmax(key):
    config = control.SnapshotEnsemble(cycle_epochs=2, keep=2)
    kept = ()
    for epoch in range(1, 8):
        kept = config.update(kept, epoch, epoch)
    assert kept == (4, 6)
    X = random_draws.normal(key, (5, 3))
    thetas = (jnp.eye(3), 2 * jnp.eye(3))
    probabilities = control.ensemble_probabilities(lambda theta, X: X @ theta, thetas, X)
    expected = (activations.softmax(X) + activations.softmax(2 * X)) / 2
    np.testing.assert_allclose(probabilities, expected, rtol=1e-14)


CONFIG = mlp.mlp((8,), 3, activation="tanh")


def init_params(key):
    return CONFIG.init(key, (4,), dtype=jnp.float64)[1]


@pytest.fixture
def data(key):
    X = random_draws.normal(key, (60, 4))
    return X, jnp.argmax(X[:, :3], axis=1).astype(jnp.int32)


def test_fit_cuts_the_rate_on_plateau_without_recompiling(data, key):
    def run(epochs):
        return fit(CountingObjective(CONFIG), optim.injectable("sgd", learning_rate=0.5), init_params(key), data,
                   val=data, epochs=epochs, batch_size=20, key=key,
                   controls=Controls(plateau=control.ReduceOnPlateau(factor=0.5, patience=0, threshold=0.5)))

    run(1)  # compiles the epoch
    before = len(TRACES)
    result = run(12)
    rates = [r["learning_rate"] for r in result.history]
    assert rates[0] == 0.5 and rates[-1] < 0.01 and rates == sorted(rates, reverse=True)
    assert len(TRACES) == before  # eleven rate changes, no new trace


def test_fit_early_stopping_restores_the_best_parameters(data, key):
    params = init_params(key)
    seen = []
    result = fit(Objective(CONFIG), optim.sgd(2.0), params, data, val=data, epochs=40, batch_size=20, key=key,
                       controls=Controls(early_stopping=control.EarlyStopping(patience=3, improvement_threshold=0.5)), on_epoch=lambda r: seen.append(r))
    assert len(result.history) < 40
    evaluate = train.make_eval_step(Objective(CONFIG))
    best = min(result.history, key=lambda r: r["val_loss"])
    assert result.best_epoch == best["epoch"]
    np.testing.assert_allclose(evaluate(result.state.params, data)["loss"], best["val_loss"], rtol=1e-12)


def test_fit_averages_the_end_of_epoch_parameters(data, key):
    params = init_params(key)
    ends = []
    result = fit(Objective(CONFIG), optim.adam(0.01), params, data, val=data, epochs=5, batch_size=20, key=key,
                       controls=Controls(averaging=control.Averaging("polyak"), snapshots=control.SnapshotEnsemble(2, 2)))
    # Replay the same epochs to collect each end-of-epoch iterate.
    epoch = train.make_train_epoch(Objective(CONFIG), optim.adam(0.01), batch_size=20)
    key, state_key = jax.random.split(key)  # as fit does: a key for the train state first
    state = train.init_state(params, optim.adam(0.01), model_state=(), key=state_key)
    for _ in range(5):
        key, k = jax.random.split(key)
        state, _ = epoch(state, data, k)
        ends.append(state.params)
    mean = jax.tree.map(lambda *leaves: jnp.mean(jnp.stack(leaves), axis=0), *ends)
    for a, b in zip(jax.tree.leaves(result.averaged), jax.tree.leaves(mean)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    assert "averaged_val_accuracy" in result.history[-1]
    assert len(result.snapshots) == 2
    for a, b in zip(jax.tree.leaves(result.snapshots[-1]), jax.tree.leaves(ends[3])):
        np.testing.assert_array_equal(a, b)


def test_plateau_needs_an_injected_learning_rate(data, key):
    params = init_params(key)
    with pytest.raises(ValueError, match=r"learning_rate_of: expected the state of an fnn.optim.injectable optimizer"):
        fit(Objective(CONFIG), optim.sgd(0.1), params, data, epochs=1, batch_size=20, key=key,
            controls=Controls(plateau=control.ReduceOnPlateau()))


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: control.EarlyStopping(patience=0), r"EarlyStopping: expected patience in \[1, inf\], got 0"),
        (lambda: control.EarlyStopping(improvement_threshold=1.5), r"EarlyStopping: expected improvement_threshold in \(0, 1\]"),
        (lambda: control.ReduceOnPlateau(factor=1.0), r"ReduceOnPlateau: expected factor in \(0, 1\), got 1.0"),
        (lambda: control.Averaging("swa"), r"Averaging: unknown kind 'swa'; expected one of ema, polyak"),
        (lambda: control.Averaging("ema", decay=1.0), r"Averaging: expected decay in \[0, 1\), got 1.0"),
        (lambda: control.SnapshotEnsemble(0, 2), r"SnapshotEnsemble: expected cycle_epochs in \[1, inf\], got 0"),
    ],
)
def test_bad_configuration(call, match):
    with pytest.raises(ValueError, match=match):
        call()
