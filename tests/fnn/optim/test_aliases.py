import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from fnn import optim

STEPS = 100


def gradient_sequence(key, shapes):
    keys = jax.random.split(key, STEPS)
    return [{name: jax.random.normal(jax.random.fold_in(k, i), s) for i, (name, s) in enumerate(shapes.items())}
            for k in keys]


def run(optimizer, params, grads):
    """Apply ``optimizer`` to a fixed gradient sequence; return the parameters after each step."""
    state = optimizer.init(params)
    update = jax.jit(optimizer.update)
    trajectory = []
    for g in grads:
        updates, state = update(g, state, params)
        params = optax.apply_updates(params, updates)
        trajectory.append(params)
    return trajectory


@pytest.fixture
def problem(key):
    shapes = {"W": (3, 4), "b": (4,)}
    params = {name: jax.random.normal(jax.random.fold_in(key, 9 + i), s) for i, (name, s) in enumerate(shapes.items())}
    return params, gradient_sequence(key, shapes)


def run_optax(optimizer, params, grads):
    # optax mixes Python floats with its int32 step count, which strict promotion rejects.
    with jax.numpy_dtype_promotion("standard"):
        return run(optimizer, params, grads)


def assert_trajectories_equal(a, b, rtol=1e-12):
    for pa, pb in zip(a, b, strict=True):
        for name in pa:
            np.testing.assert_allclose(pa[name], pb[name], rtol=rtol, atol=1e-14)


def test_sgd_equals_the_update_rule_and_optax(problem):
    params, grads = problem
    ours = run(optim.sgd(0.05), params, grads)
    expected, p = [], {k: np.asarray(v) for k, v in params.items()}
    for g in grads:
        p = {k: p[k] - 0.05 * np.asarray(g[k]) for k in p}
        expected.append(p)
    assert_trajectories_equal(ours, expected)
    assert_trajectories_equal(ours, run_optax(optax.sgd(0.05), params, grads))


def test_adam_equals_algorithm_1_and_optax(problem):
    params, grads = problem
    lr, b1, b2, eps = 0.01, 0.8, 0.99, 1e-6
    ours = run(optim.adam(lr, b1, b2, eps), params, grads)
    expected, p = [], {k: np.asarray(v) for k, v in params.items()}
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(x) for k, x in p.items()}
    for t, g in enumerate(grads, start=1):
        for k in p:
            gk = np.asarray(g[k])
            m[k] = b1 * m[k] + (1 - b1) * gk
            v[k] = b2 * v[k] + (1 - b2) * gk**2
            p = {**p, k: p[k] - lr * (m[k] / (1 - b1**t)) / (np.sqrt(v[k] / (1 - b2**t)) + eps)}
        expected.append(p)
    assert_trajectories_equal(ours, expected)
    assert_trajectories_equal(ours, run_optax(optax.adam(lr, b1, b2, eps), params, grads))


def test_schedules_and_injected_hyperparameters(problem):
    params, grads = problem
    schedule = optax.exponential_decay(0.1, 10, 0.5)
    assert_trajectories_equal(run(optim.adam(schedule), params, grads), run_optax(optax.adam(schedule), params, grads))
    traces = []
    injected = optax.inject_hyperparams(optim.adam)(learning_rate=0.01)
    state = injected.init(params)

    @jax.jit
    def step(state, g):
        traces.append(1)
        return injected.update(g, state, params)

    _, state = step(state, grads[0])
    # A strongly typed scalar of the stored dtype: jnp.asarray(0.02) alone is weakly typed and retraces.
    state.hyperparams["learning_rate"] = jnp.array(0.02, state.hyperparams["learning_rate"].dtype)
    updates, _ = step(state, grads[1])
    assert len(traces) == 1
    # Same two steps by hand: Adam's second update with lr 0.02 is 0.02 / 0.01 times that with 0.01.
    reference = optim.adam(0.01)
    _, ref_state = reference.update(grads[0], reference.init(params))
    ref_updates, _ = reference.update(grads[1], ref_state)
    np.testing.assert_allclose(updates["W"], 2 * ref_updates["W"], rtol=1e-12)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: optim.sgd(-0.1), r"sgd: expected learning_rate in \[0, inf\], got -0.1"),
        (lambda: optim.adam(-1e-3), r"adam: expected learning_rate in \[0, inf\], got -0.001"),
        (lambda: optim.adam(b1=1.0), r"adam: expected b1 in \[0, 1\), got 1.0"),
        (lambda: optim.adam(b2=-0.5), r"adam: expected b2 in \[0, 1\), got -0.5"),
        (lambda: optim.adam(eps=0.0), r"adam: expected eps in \(0, inf\], got 0.0"),
        (lambda: optim.get("lion"), r"optim.get: unknown optimizer 'lion'; expected one of adam, sgd"),
    ],
)
def test_bad_hyperparameters(call, match):
    with pytest.raises(ValueError, match=match):
        call()
