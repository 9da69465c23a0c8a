import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from fnn import optim
from fnn.util import random_draws
from reference import optim as ro

STEPS = 100
SHAPES = {"W": (3, 4), "b": (4,)}

# name: (fnn factory, its kwargs, reference step, its kwargs, optax oracle configured to the same convention)
CASES = {
    "sgd": (optim.sgd, dict(learning_rate=0.05), ro.sgd, dict(lr=0.05), lambda: optax.sgd(0.05)),
    "momentum": (optim.momentum, dict(learning_rate=0.05, rho=0.9), ro.momentum_gradient, dict(lr=0.05, rho=0.9),
                 lambda: optax.sgd(0.05, momentum=0.9)),
    "momentum, step form": (optim.momentum, dict(learning_rate=0.05, rho=0.9, form="step"), ro.momentum_step,
                            dict(lr=0.05, rho=0.9), lambda: optax.sgd(0.05, momentum=0.9)),
    "adagrad": (optim.adagrad, dict(learning_rate=0.1, eps=1e-7), ro.adagrad, dict(lr=0.1, eps=1e-7), None),
    # optax: accumulator from 0.1, eps inside the root.
    "adagrad, optax convention": (optim.adagrad, dict(learning_rate=0.1, eps=1e-7, initial_accumulator=0.1, eps_in_sqrt=True),
                                  ro.adagrad, dict(lr=0.1, eps=1e-7, r0=0.1, eps_in_sqrt=True),
                                  lambda: optax.adagrad(0.1, initial_accumulator_value=0.1, eps=1e-7)),
    "rmsprop": (optim.rmsprop, dict(learning_rate=0.01, decay=0.9, eps=1e-6), ro.rmsprop, dict(lr=0.01, rho=0.9, eps=1e-6),
                lambda: optax.rmsprop(0.01, decay=0.9, eps=1e-6, eps_in_sqrt=True)),
    "rmsprop, eps outside": (optim.rmsprop, dict(learning_rate=0.01, decay=0.8, eps=1e-6, eps_in_sqrt=False), ro.rmsprop,
                             dict(lr=0.01, rho=0.8, eps=1e-6, eps_in_sqrt=False),
                             lambda: optax.rmsprop(0.01, decay=0.8, eps=1e-6, eps_in_sqrt=False)),
    "adadelta": (optim.adadelta, dict(learning_rate=1.0, rho=0.95, eps=1e-6), ro.adadelta, dict(rho=0.95, eps=1e-6),
                 lambda: optax.adadelta(1.0, rho=0.95, eps=1e-6)),
    "adam": (optim.adam, dict(learning_rate=0.01, b1=0.8, b2=0.99, eps=1e-6), ro.adam, dict(lr=0.01, b1=0.8, b2=0.99, eps=1e-6),
             lambda: optax.adam(0.01, 0.8, 0.99, 1e-6)),
    "adam, no bias correction": (optim.adam, dict(learning_rate=0.01, bias_correction=False), ro.adam,
                                 dict(lr=0.01, b1=0.9, b2=0.999, eps=1e-8, bias_correction=False), None),
    "adamax": (optim.adamax, dict(learning_rate=0.002, b1=0.9, b2=0.99, eps=1e-8), ro.adamax,
               dict(lr=0.002, b1=0.9, b2=0.99, eps=1e-8), lambda: optax.adamax(0.002, 0.9, 0.99, 1e-8)),
    # optax.rprop returns a stale update (see test_optax_rprop_returns_a_stale_update): no optax oracle.
    "rprop": (optim.rprop, dict(learning_rate=0.01, eta_minus=0.5, eta_plus=1.2, min_step=1e-6, max_step=0.05),
              ro.irprop_minus, dict(delta0=0.01, eta_minus=0.5, eta_plus=1.2, delta_min=1e-6, delta_max=0.05), None),
}


@pytest.fixture(scope="module")
def problem():
    key = jax.random.key(42)
    params = {n: random_draws.normal(jax.random.fold_in(key, i), s, jnp.float64)
              for i, (n, s) in enumerate(SHAPES.items())}
    # Gradients with a drift and noise: signs flip often enough to exercise Rprop's rules.
    grads = [{n: 0.3 + random_draws.normal(jax.random.fold_in(key, 100 * t + i), s, jnp.float64)
              for i, (n, s) in enumerate(SHAPES.items())} for t in range(STEPS)]
    return params, grads


def run(optimizer, params, grads):
    state, update, trajectory = optimizer.init(params), jax.jit(optimizer.update), []
    for g in grads:
        updates, state = update(g, state, params)
        params = optax.apply_updates(params, updates)
        trajectory.append(params)
    return trajectory


def run_optax(optimizer, params, grads):
    # optax mixes Python floats with its int32 step count, which strict promotion rejects.
    with jax.numpy_dtype_promotion("standard"):
        return run(optimizer, params, grads)


def run_reference(step, hyper, params, grads):
    trajectory, memory, x = [], {n: {} for n in params}, dict(params)
    for g in grads:
        for n in x:
            x[n], memory[n] = step(x[n], g[n], memory[n], **hyper)
        trajectory.append(dict(x))
    return trajectory


def assert_trajectories_equal(a, b, rtol=1e-12):
    assert len(a) == len(b) == STEPS
    for pa, pb in zip(a, b):
        for name in pa:
            np.testing.assert_allclose(pa[name], pb[name], rtol=rtol, atol=1e-13)


@pytest.mark.parametrize("case", sorted(CASES))
def test_equals_the_lecture_equations_over_100_steps(case, problem):
    factory, kwargs, step, hyper, _ = CASES[case]
    params, grads = problem
    assert_trajectories_equal(run(factory(**kwargs), params, grads), run_reference(step, hyper, params, grads))


@pytest.mark.parametrize("case", sorted(c for c in CASES if CASES[c][4] is not None))
def test_equals_optax_configured_to_the_same_convention(case, problem):
    factory, kwargs, _, _, oracle = CASES[case]
    params, grads = problem
    assert_trajectories_equal(run(factory(**kwargs), params, grads), run_optax(oracle(), params, grads))


def test_momentum_forms_agree_for_a_constant_rate_and_differ_under_a_schedule(problem):
    params, grads = problem
    assert_trajectories_equal(run(optim.momentum(0.05, 0.9), params, grads),
                              run(optim.momentum(0.05, 0.9, form="step"), params, grads))
    decay = optax.exponential_decay(0.05, 10, 0.5)
    a = run(optim.momentum(decay, 0.9), params, grads)[-1]["b"]
    b = run(optim.momentum(decay, 0.9, form="step"), params, grads)[-1]["b"]
    assert np.max(np.abs(a - b)) > 1e-3


def quadratic(key):
    A = random_draws.normal(key, (4, 4), jnp.float64)
    A = A @ A.T + 0.5 * jnp.eye(4)
    return lambda x: A @ x - 1.0  # gradient of 1/2 x^T A x - sum x


def test_nesterov_equals_the_lecture_look_ahead_through_the_change_of_variable():
    grad_f = quadratic(jax.random.key(3))
    lr, rho = 0.05, 0.9
    x, memory = jnp.linspace(-1, 1, 4), {}
    optimizer = optim.nesterov(lr, rho)
    x_tilde, state = x, optimizer.init(x)  # v = 0, so the look-ahead point starts at x
    for _ in range(STEPS):
        x, memory = ro.nesterov_lookahead(x, grad_f, memory, lr=lr, rho=rho)
        updates, state = optimizer.update(grad_f(x_tilde), state)
        x_tilde = x_tilde + updates
        np.testing.assert_allclose(x_tilde, x + rho * memory["v"], rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(state.velocity, memory["v"], rtol=1e-12, atol=1e-13)


def test_nesterov_equals_optax_and_pytorch_form(problem):
    params, grads = problem
    assert_trajectories_equal(run(optim.nesterov(0.05, 0.9), params, grads),
                              run_optax(optax.sgd(0.05, momentum=0.9, nesterov=True), params, grads))


def test_adam_efficient_form_equals_algorithm_1_with_eps_hat_scaled(problem):
    _, grads = problem
    x1 = x2 = grads[0]["W"]
    s1, s2 = {}, {}
    for t, g in enumerate(grads, start=1):
        x1, s1 = ro.adam(x1, g["W"], s1, lr=0.01, b1=0.9, b2=0.999, eps=1e-6)
        x2, s2 = ro.adam_efficient(x2, g["W"], s2, lr=0.01, b1=0.9, b2=0.999, eps_hat=1e-6 * np.sqrt(1 - 0.999**t))
        np.testing.assert_allclose(x2, x1, rtol=1e-12)


def test_optax_adadelta_with_its_default_learning_rate_climbs():
    """Known oracle defect: optax.adadelta(learning_rate=None) returns +dx (no sign flip),
    so it ascends. The comparisons above use learning_rate=1.0, the paper's method."""
    f = lambda x: 0.5 * jnp.sum(x**2)  # noqa: E731
    for optimizer, climbs in ((optax.adadelta(), True), (optim.adadelta(), False)):
        x = jnp.ones(3)
        state = optimizer.init(x)
        with jax.numpy_dtype_promotion("standard"):
            for _ in range(50):
                updates, state = optimizer.update(jax.grad(f)(x), state, x)
                x = x + updates
        assert (f(x) > f(jnp.ones(3))) == climbs


def test_optax_rprop_returns_a_stale_update():
    """Known oracle defect (optax 0.2.8, scale_by_rprop): the update it returns is the one
    stored at the previous step (``state.prev_updates``), zeroed when the sign flips now.
    Its first update is 0 and later ones lag, so it cannot serve as an oracle; fnn.optim.rprop
    is checked against reference.optim.irprop_minus (Igel and Huesken 2000, Fig. 2) above."""
    gs = [1.0, 2.0, -1.0, -3.0, 0.5, 0.7, 0.2]
    # iRprop- by hand (Delta0 = 0.1): step -Delta*sign(g); after a sign change no step and g := 0.
    expected = [-0.1, -0.12, 0.0, 0.06, 0.0, -0.03, -0.036]
    for optimizer, stale in ((optim.rprop(0.1, 0.5, 1.2, 1e-6, 50.0), False), (optax.rprop(0.1, 0.5, 1.2, 1e-6, 50.0), True)):
        state, updates = optimizer.init(jnp.zeros(1)), []
        with jax.numpy_dtype_promotion("standard"):
            for g in gs:
                u, state = optimizer.update(jnp.array([g]), state, jnp.zeros(1))
                updates.append(float(u[0]))
        assert (not np.allclose(updates, expected, rtol=1e-12, atol=1e-15)) == stale
    assert updates[0] == 0.0  # optax does not move on its first step
    # So the docstring must not claim equality with optax (it once said "Equals ``optax.rprop``").
    assert "Equals ``optax" not in optim.rprop.__doc__ and "Differs from ``optax.rprop``" in optim.rprop.__doc__


def test_clipping_follows_the_lecture_pseudocode_and_optax(problem):
    _, grads = problem
    for g in grads[:10]:
        clipped, state = optim.clip_by_global_norm(2.0).update(g, optim.clip_by_global_norm(2.0).init(g))
        expected, norm = ro.clip_by_global_norm([g["W"], g["b"]], max_norm=2.0)
        np.testing.assert_allclose(state.norm, norm, rtol=1e-14)
        np.testing.assert_allclose(clipped["W"], expected[0], rtol=1e-13)
        with jax.numpy_dtype_promotion("standard"):
            oracle, _ = optax.clip_by_global_norm(2.0).update(g, optax.clip_by_global_norm(2.0).init(g))
        np.testing.assert_allclose(clipped["b"], oracle["b"], rtol=1e-13)
    small = {"W": jnp.full((3, 4), 1e-3), "b": jnp.zeros(4)}
    clip = optim.clip_by_global_norm(2.0)
    np.testing.assert_array_equal(clip.update(small, clip.init(small))[0]["W"], small["W"])


def test_the_one_over_k_rule_for_sgd(problem):
    from fnn.optim import schedules

    params, grads = problem
    expected, x = [], dict(params)
    for k, g in enumerate(grads, start=1):
        x = {n: x[n] - 0.5 / k * g[n] for n in x}
        expected.append(x)
    assert_trajectories_equal(run(optim.sgd(schedules.harmonic(0.5)), params, grads), expected)


def default_hyperparameters(name):
    return {"learning_rate": 0.01} if name not in ("adadelta",) else {"learning_rate": 1.0}


@pytest.mark.parametrize("name", sorted(optim.BY_NAME))
def test_changing_an_injected_hyperparameter_does_not_retrace(name, problem):
    params, grads = problem
    optimizer = optim.injectable(name, clip_norm=5.0, **default_hyperparameters(name))
    traces = []

    @jax.jit
    def update(state, g):
        traces.append(1)
        return optimizer.update(g, state, params)

    state = optimizer.init(params)
    first, state = update(state, grads[0])
    for key in state.hyperparams:
        state.hyperparams[key] = jnp.array(0.5 * state.hyperparams[key], state.hyperparams[key].dtype)
    update(state, grads[1])
    update(optim.with_learning_rate(state, 0.003), grads[2])
    assert len(traces) == 1


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: optim.sgd(-0.1), r"sgd: expected learning_rate in \[0, inf\], got -0.1"),
        (lambda: optim.momentum(0.1, rho=1.0), r"momentum: expected rho in \[0, 1\), got 1.0"),
        (lambda: optim.momentum(0.1, form="nesterov"), r"momentum: unknown form 'nesterov'; expected one of gradient, step"),
        (lambda: optim.nesterov(0.1, rho=-0.1), r"nesterov: expected rho in \[0, 1\), got -0.1"),
        (lambda: optim.adagrad(0.1, eps=0.0), r"adagrad: expected eps in \(0, inf\], got 0.0"),
        (lambda: optim.rmsprop(0.1, decay=1.5), r"rmsprop: expected decay in \[0, 1\), got 1.5"),
        (lambda: optim.adadelta(rho=1.0), r"adadelta: expected rho in \[0, 1\), got 1.0"),
        (lambda: optim.adam(-1e-3), r"adam: expected learning_rate in \[0, inf\], got -0.001"),
        (lambda: optim.adam(b1=1.0), r"adam: expected b1 in \[0, 1\), got 1.0"),
        (lambda: optim.adamax(b2=-0.5), r"adamax: expected b2 in \[0, 1\), got -0.5"),
        (lambda: optim.rprop(eta_plus=0.9), r"rprop: expected eta_plus in \(1, inf\], got 0.9"),
        (lambda: optim.rprop(min_step=1.0, max_step=0.5), r"rprop: expected max_step >= min_step=1.0, got 0.5"),
        (lambda: optim.clip_by_global_norm(0.0), r"clip_by_global_norm: expected max_norm in \(0, inf\], got 0.0"),
        (lambda: optim.get("lion"), r"optim.get: unknown optimizer 'lion'; expected one of adadelta, adagrad"),
        (lambda: optim.injectable("adam", beta1=0.9), r"optimizer adam: unknown hyperparameter beta1; it takes learning_rate, b1"),
        (lambda: optim.injectable("adam", learning_rate=0.1, schedule="harmonic", schedule_args={"init_value": 0.1}),
         r"optimizer adam: expected learning_rate or a schedule, got both"),
        (lambda: optim.injectable("sgd", schedule="staircase", schedule_args={"init_value": 0.1, "decay_rate": 2.0, "step_size": 10}),
         r"staircase: expected decay_rate in \(0, 1\], got 2.0"),
    ],
)
def test_bad_hyperparameters_name_the_optimizer_and_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_adam_with_decoupled_weight_decay_is_optax_adamw(problem):
    params, grads = problem
    weights_only = {"W": True, "b": False}
    ours = optax.chain(optim.adam(0.01), optim.decoupled_weight_decay(0.1, 0.01, mask=weights_only))
    theirs = optax.adamw(0.01, weight_decay=0.1, mask=weights_only)
    assert_trajectories_equal(run(ours, params, grads), run_optax(theirs, params, grads))
    injected = optim.injectable("adam", learning_rate=0.01, weight_decay=0.1, weight_decay_mask=lambda p: weights_only)
    assert_trajectories_equal(run(injected, params, grads), run(ours, params, grads))


def test_weight_decay_never_touches_biases(problem):
    params, _ = problem
    zero = {"W": jnp.zeros((3, 4)), "b": jnp.zeros(4)}
    decay = optim.decoupled_weight_decay(0.5, 0.1, mask={"W": True, "b": False})
    updates, _ = decay.update(zero, decay.init(params), params)
    np.testing.assert_allclose(updates["W"], -0.05 * params["W"], rtol=1e-15)
    np.testing.assert_array_equal(updates["b"], 0.0)
    with pytest.raises(ValueError, match=r"decoupled_weight_decay: expected weight_decay in \[0, inf\], got -1"):
        optim.decoupled_weight_decay(-1, 0.1, mask={"W": True, "b": False})


def test_weight_decay_without_a_mask_is_an_error():
    """No silent guess: a decay that would find no weight (or the wrong ones) is refused."""
    with pytest.raises(ValueError, match=r"decoupled_weight_decay: expected a mask of the weights"):
        optim.decoupled_weight_decay(0.1, 0.1, mask=None)
    with pytest.raises(ValueError, match=r"decoupled_weight_decay: expected a mask of the weights"):
        optim.injectable("adam", learning_rate=0.01, weight_decay=0.1)


@pytest.mark.parametrize("name", list(optim.BY_NAME))
@pytest.mark.parametrize("dtype", [jnp.float16, jnp.bfloat16])
def test_half_precision_leaves_keep_float32_state_and_follow_the_float32_update(name, dtype):
    """Small gradients (|g| < 2.4e-4 squares to 0 in float16) and exact zeros: the update stays
    finite, keeps the leaf's dtype, and equals the float32 update rounded to it."""
    grads = {"w": jnp.array([1e-5, -3e-4, 0.0, 0.5, -2.0], jnp.float32)}
    params = {"w": jnp.array([0.1, -0.2, 0.3, 1.0, -1.0], jnp.float32)}
    optimizer = optim.get(name)()
    half_params, half_grads = ({"w": t["w"].astype(dtype)} for t in (params, grads))
    state = optimizer.init(half_params)
    floating = [leaf for leaf in jax.tree.leaves(state) if jnp.issubdtype(leaf.dtype, jnp.floating)]
    assert (floating or name == "sgd") and all(leaf.dtype == jnp.float32 for leaf in floating)  # sgd keeps a count only
    update = optimizer.update(half_grads, state, half_params)[0]["w"]
    assert update.dtype == dtype and bool(jnp.all(jnp.isfinite(update)))
    in_float32 = optimizer.update({"w": half_grads["w"].astype(jnp.float32)}, optimizer.init(params), params)[0]["w"]
    np.testing.assert_array_equal(np.asarray(update, np.float32), np.asarray(in_float32.astype(dtype), np.float32))
