import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn.experiments import zero_init
from fnn.models import mlp


def test_equal_starts_keep_every_unit_identical_and_random_starts_learn(tmp_path):
    """Rounding is the only thing that can tell equal units apart: none from zeros (exactly 0 on any
    machine), at most rounding-sized from 0.1 (exactly 0 where the kernels round every unit alike);
    a one-ulp nudge grows in training but stays within the tolerance at this size."""
    numbers = zero_init.run(zero_init.SIZES["small"], tmp_path)
    runs, width = numbers["runs"], zero_init.SIZES["small"].hidden[0]
    assert runs["zeros"]["spread_at_start"] == runs["zeros"]["spread"] == [0.0, 0.0]
    assert runs["constant"]["spread_at_start"] == [0.0, 0.0]
    assert max(runs["constant"]["spread"]) <= zero_init.TOLERANCE
    nudged = runs["nudged"]
    assert 0 < max(nudged["spread_at_start"]) < 1e-6 and nudged["spread"][1] > 100 * nudged["spread_at_start"][1]
    for start in ("zeros", "constant", "nudged"):
        assert runs[start]["distinct_units"] == [1, 1]
    assert min(runs["random"]["spread"]) > 0.1 and runs["random"]["distinct_units"] == [width, width]
    assert runs["random"]["test_accuracy"] > runs["constant"]["test_accuracy"] + 0.1
    assert (tmp_path / "zero_init.png").read_bytes()[:4] == b"\x89PNG"
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["config"]["hidden"] == [8, 8] and saved["summary"] == numbers["summary"]


def test_the_spread_is_the_largest_difference_between_two_units_relative_to_the_largest_weight(key):
    model = mlp.mlp((3,), 2)
    params = zero_init.initial_params(model, "constant", key=key, constant=0.5)
    assert zero_init.unit_spread(model, params) == [0.0] and zero_init.distinct_units(model, params) == [1]
    assert jnp.all(params[0].W == 0.5) and jnp.all(params[0].b == 0)

    def moved(W_12, b_0=0.0):
        return (params[0]._replace(W=params[0].W.at[1, 2].add(W_12), b=params[0].b.at[0].add(b_0)), *params[1:])

    assert zero_init.unit_spread(model, moved(0.25, -1.0)) == [1.0]  # |-1 - 0| / max |U| = 1
    assert zero_init.distinct_units(model, moved(0.25, -1.0)) == [3]
    assert zero_init.unit_spread(model, moved(0.0, 0.01)) == [pytest.approx(0.02)]
    for step, count in ((0.004, 1), (0.006, 2)):  # within TOLERANCE x max |U| = 0.005 of unit 1, or not
        spread = zero_init.unit_spread(model, moved(step))[0]
        assert zero_init.distinct_units(model, moved(step)) == [count]
        assert (spread <= zero_init.TOLERANCE) == (count == 1)
    assert zero_init.distinct_units(model, moved(0.004), tolerance=0.0) == [2]


def test_the_nudged_start_moves_every_weight_by_at_most_one_ulp(key):
    model = mlp.mlp((3,), 2)
    params = zero_init.initial_params(model, "nudged", key=key, constant=0.1)
    for p in params[::2]:
        W, c = np.asarray(p.W), np.float32(0.1)
        assert set(np.unique(W)) == {np.nextafter(c, np.float32(0)), c, np.nextafter(c, np.float32(1))}
        assert jnp.all(p.b == 0)
    assert 0 < max(zero_init.unit_spread(model, params)) < 1e-6


@pytest.mark.slow
def test_the_readme_numbers(page_command):
    summary = page_command("zero-init")["summary"]
    assert summary["zeros largest spread"] == 0.0 and summary["zeros distinct units"] == [1, 1]
    assert summary["random test accuracy"] > 0.95 > 0.5 > max(summary["constant test accuracy"],
                                                               summary["nudged test accuracy"])
    assert summary["zeros test accuracy"] < 0.15  # only the output biases learn: the most frequent class
    assert summary["nudged largest spread"] > 10 * zero_init.TOLERANCE  # training amplified one ulp
    assert max(summary["nudged distinct units"]) > 10
    assert jax.tree.leaves(summary["random distinct units"]) == [64, 64]
