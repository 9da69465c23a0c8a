import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn.optim import schedules as sch

T = np.arange(0, 400)


def values(schedule, steps=T):
    return np.asarray(jax.jit(jax.vmap(schedule))(jnp.asarray(steps)))


def test_decays_match_their_closed_forms():
    np.testing.assert_allclose(values(sch.constant(0.3)), 0.3, rtol=1e-15)
    np.testing.assert_allclose(values(sch.inverse_time(0.5, 0.1)), 0.5 / (1 + 0.1 * T), rtol=1e-14)
    np.testing.assert_allclose(values(sch.harmonic(0.5)), 0.5 / (T + 1), rtol=1e-14)
    np.testing.assert_allclose(values(sch.power(0.5, 0.75)), 0.5 / (T + 1) ** 0.75, rtol=1e-14)
    np.testing.assert_allclose(values(sch.staircase(0.2, 0.5, 100)), 0.2 * 0.5 ** (T // 100), rtol=1e-14)
    np.testing.assert_allclose(values(sch.exponential(0.2, 0.5, 100)), 0.2 * 0.5 ** (T / 100), rtol=1e-14)


def test_staircase_drops_exactly_at_multiples_of_the_step_size():
    v = values(sch.staircase(1.0, 0.1, 50), np.array([0, 49, 50, 99, 100, 149, 150]))
    np.testing.assert_allclose(v, [1, 1, 0.1, 0.1, 0.01, 0.01, 0.001], rtol=1e-14)


def test_linear_warmup_then_the_wrapped_schedule():
    v = values(sch.linear_warmup(0.1, 10, after=sch.exponential(0.1, 0.5, 10)), np.arange(40))
    np.testing.assert_allclose(v[:10], 0.1 * np.arange(1, 11) / 10, rtol=1e-14)
    np.testing.assert_allclose(v[10:], 0.1 * 0.5 ** (np.arange(30) / 10), rtol=1e-14)
    np.testing.assert_allclose(values(sch.linear_warmup(0.1, 5), np.array([0, 4, 5, 100])), [0.02, 0.1, 0.1, 0.1])


def smith(t, base, peak, s, mode, gamma=1.0):
    """Smith (2015)'s published pseudocode, written independently."""
    cycle = math.floor(1 + t / (2 * s))
    x = abs(t / s - 2 * cycle + 1)
    scale = {"triangular": 1.0, "triangular2": 1 / 2 ** (cycle - 1), "exp_range": gamma**t}[mode]
    return base + (peak - base) * max(0.0, 1 - x) * scale


@pytest.mark.parametrize("mode", sch.CYCLIC_MODES)
def test_cyclical_matches_smith_over_four_cycles(mode):
    steps = np.arange(0, 8 * 25 + 1)  # 4 cycles of 2 x 25 steps
    got = values(sch.cyclical(0.01, 0.1, 25, mode=mode, gamma=0.995), steps)
    np.testing.assert_allclose(got, [smith(t, 0.01, 0.1, 25, mode, 0.995) for t in steps], rtol=1e-13)
    if mode == "triangular":
        np.testing.assert_allclose(got[[0, 25, 50, 75, 100, 125, 150, 175, 200]], [0.01, 0.1] * 4 + [0.01], rtol=1e-13)
    if mode == "triangular2":
        np.testing.assert_allclose(got[[25, 75, 125, 175]] - 0.01, 0.09 * np.array([1, 0.5, 0.25, 0.125]), rtol=1e-12)


def test_cosine_restarts_is_the_snapshot_ensemble_schedule_over_three_cycles():
    total, cycles = 300, 3
    period = math.ceil(total / cycles)
    got = values(sch.cosine_restarts(0.2, total, cycles), np.arange(total))
    expected = 0.1 * (np.cos(np.pi * (np.arange(total) % period) / period) + 1)
    np.testing.assert_allclose(got, expected, rtol=1e-13)
    np.testing.assert_allclose(got[[0, 100, 200]], 0.2, rtol=1e-14)  # restarts
    assert np.all(got[[99, 199, 299]] < 1e-4)  # each cycle ends near zero
    uneven = values(sch.cosine_restarts(1.0, 10, 3), np.arange(10))  # ceil(10 / 3) = 4 steps a cycle
    np.testing.assert_allclose(uneven[[0, 4, 8]], 1.0)


def test_hyperparameters_may_be_arrays_without_retracing():
    traces = []

    @jax.jit
    def lr(init_value, step):
        traces.append(1)
        return sch.cosine_restarts(init_value, 100, 4)(step)

    np.testing.assert_allclose(lr(jnp.array(0.5), 0), 0.5)
    np.testing.assert_allclose(lr(jnp.array(0.25), 0), 0.25)
    assert len(traces) == 1


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: sch.staircase(0.1, 0.0, 10), r"staircase: expected decay_rate in \(0, 1\], got 0.0"),
        (lambda: sch.exponential(0.1, 1.5), r"exponential: expected decay_rate in \(0, 1\], got 1.5"),
        (lambda: sch.inverse_time(-0.1, 0.1), r"inverse_time: expected init_value in \[0, inf\], got -0.1"),
        (lambda: sch.cyclical(0.1, 1.0, 10, mode="sine"), r"cyclical: unknown mode 'sine'"),
        (lambda: sch.cosine_restarts(0.1, 100, 0), r"cosine_restarts: expected cycles in \(0, inf\], got 0"),
        (lambda: sch.get("onecycle"), r"schedules.get: unknown schedule 'onecycle'"),
    ],
)
def test_bad_hyperparameters(call, match):
    with pytest.raises(ValueError, match=match):
        call()
