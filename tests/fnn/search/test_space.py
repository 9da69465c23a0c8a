import math

import jax
import pytest

from fnn.search import Grid, LogUniform, Uniform, grid, narrow, sample


def test_grid_is_the_product_with_ranges_spaced_evenly_log_ranges_in_log_space():
    space = {"lr": LogUniform(1e-4, 1e-2), "momentum": Uniform(0.5, 0.9), "hidden": Grid((64, 128))}
    points = grid(space, points=3)
    assert len(points) == 3 * 3 * 2
    assert sorted({p["lr"] for p in points}) == pytest.approx([1e-4, 1e-3, 1e-2], rel=1e-12)
    assert sorted({p["momentum"] for p in points}) == pytest.approx([0.5, 0.7, 0.9])
    assert points[0] == {"lr": 1e-4, "momentum": 0.5, "hidden": 64}  # the bounds exactly, first setting slowest
    assert points[1]["hidden"] == 128 and points[-1]["lr"] == 1e-2


def test_samples_follow_their_distributions_and_integers_round():
    space = {"lr": LogUniform(1e-5, 1e-1), "dropout": Uniform(0.0, 0.5), "width": Uniform(8, 64, integer=True),
             "act": Grid((1, 2, 3))}
    drawn = sample(jax.random.key(0), space, 400)
    logs = [math.log10(d["lr"]) for d in drawn]
    assert min(logs) >= -5 and max(logs) <= -1
    assert sum(log < -3 for log in logs) == pytest.approx(200, abs=40)  # half the draws below the middle decade
    assert all(0.0 <= d["dropout"] <= 0.5 for d in drawn)
    assert all(isinstance(d["width"], int) and 8 <= d["width"] <= 64 for d in drawn)
    assert {d["act"] for d in drawn} == {1, 2, 3}
    assert drawn == sample(jax.random.key(0), space, 400) and drawn != sample(jax.random.key(1), space, 400)


def test_narrow_shrinks_ranges_around_the_best_in_log_space_and_keeps_their_grid_values():
    space = {"lr": LogUniform(1e-6, 1e-2), "momentum": Uniform(0.0, 1.0), "hidden": Grid((32, 64, 128))}
    best = [{"lr": 1e-4, "momentum": 0.95, "hidden": 64}, {"lr": 1e-4, "momentum": 0.99, "hidden": 32}]
    narrowed = narrow(space, best, shrink=0.5)
    assert isinstance(narrowed["lr"], LogUniform)
    assert (narrowed["lr"].low, narrowed["lr"].high) == pytest.approx((1e-5, 1e-3))  # half the decades, centred
    assert (narrowed["momentum"].low, narrowed["momentum"].high) == pytest.approx((0.5, 1.0))  # kept inside [0, 1]
    assert narrowed["hidden"] == Grid((32, 64))
    wide = narrow(space, [{"lr": 1e-6, "momentum": 0.0, "hidden": 32}, {"lr": 1e-2, "momentum": 1.0, "hidden": 32}])
    assert (wide["lr"].low, wide["lr"].high) == pytest.approx((1e-6, 1e-2))  # the best span the range: nothing cut
    assert narrow(space, grid(space)) == space  # exactly: a bound reached stays the bound


@pytest.mark.parametrize("make, message", [
    (lambda: LogUniform(0.0, 1.0), r"LogUniform: expected low in \(0, inf\]"),
    (lambda: Uniform(2.0, 1.0), "expected low <= high, got low=2.0, high=1.0"),
    (lambda: Uniform("a", 1.0), "expected low to be a finite number, got 'a'"),
    (lambda: Grid(()), "expected at least one value"),
    (lambda: grid({"lr": (1, 2)}), "expected lr to be a Grid, Uniform or LogUniform, got tuple"),
    (lambda: narrow({"lr": Uniform(0, 1)}, []), "at least one best trial"),
])
def test_bad_spaces_are_refused_naming_what_is_wrong(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()
