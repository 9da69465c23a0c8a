import json

import jax
import jax.numpy as jnp
import pytest

from fnn.experiments import zero_init
from fnn.models import mlp


def test_equal_starts_keep_every_unit_identical_and_random_starts_learn(tmp_path):
    numbers = zero_init.run(zero_init.SIZES["small"], tmp_path)
    runs, width = numbers["runs"], zero_init.SIZES["small"].hidden[0]
    for start in ("zeros", "constant"):
        assert runs[start]["spread_at_start"] == runs[start]["spread"] == [0.0, 0.0]
        assert runs[start]["distinct_units"] == [1, 1]
    assert min(runs["random"]["spread"]) > 0.1 and runs["random"]["distinct_units"] == [width, width]
    assert runs["random"]["test_accuracy"] > runs["constant"]["test_accuracy"] + 0.1
    assert (tmp_path / "zero_init.png").read_bytes()[:4] == b"\x89PNG"
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["config"]["hidden"] == [8, 8] and saved["summary"] == numbers["summary"]


def test_the_spread_measures_the_largest_difference_between_two_units(key):
    model = mlp.mlp((3,), 2)
    params = zero_init.initial_params(model, "constant", key=key, constant=0.5)
    assert zero_init.unit_spread(model, params) == [0.0] and zero_init.distinct_units(model, params) == [1]
    assert jnp.all(params[0].W == 0.5) and jnp.all(params[0].b == 0)
    dense = params[0]._replace(W=params[0].W.at[1, 2].add(0.25), b=params[0].b.at[0].add(-1.0))
    assert zero_init.unit_spread(model, (dense, *params[1:])) == [1.0]
    assert zero_init.distinct_units(model, (dense, *params[1:])) == [3]


@pytest.mark.slow
def test_the_readme_numbers(tmp_path):
    summary = zero_init.run(zero_init.SIZES["full"], tmp_path)["summary"]
    assert summary["zeros largest spread"] == summary["constant largest spread"] == 0.0
    assert summary["random test accuracy"] > 0.95 > 0.5 > summary["constant test accuracy"]
    assert summary["zeros test accuracy"] < 0.15  # only the output biases learn: the most frequent class
    assert jax.tree.leaves(summary["random distinct units"]) == [64, 64]
