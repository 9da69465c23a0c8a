import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn.experiments import he
from fnn.util import random_draws


def test_xavier_style_halves_the_variance_per_layer_and_he_keeps_it(tmp_path):
    numbers = he.run(he.SIZES["small"], tmp_path)
    summary = numbers["summary"]
    assert -1.15 < summary["xavier log2 Var Z slope per layer"] < -0.85
    assert abs(summary["he log2 Var Z slope per layer"]) < 0.15
    assert len(numbers["log2_variance_by_layer"]["he"]) == 30
    assert set(numbers["runs"]) == {"xavier, momentum", "he, momentum"}  # the small size leaves Adam out
    assert (tmp_path / "he.png").read_bytes()[:4] == b"\x89PNG"


def test_the_variance_is_that_of_the_pre_activations(key):
    config = he.Config(depth=3, width=5, repeats=1)
    X = random_draws.normal(key, (7, 4), jnp.float32)
    model = he.model_for(config, "he")
    params = model.init(jax.random.split(jax.random.key(config.seed), 1)[0], (4,), dtype=jnp.float32)[1]
    Z1 = X @ params[0].W + params[0].b
    Z2 = jax.nn.relu(Z1) @ params[2].W + params[2].b
    np.testing.assert_allclose(he.log2_variances(config, "he", X)[:2], np.log2([np.var(Z1), np.var(Z2)]), rtol=1e-5)
    assert he.slope([3.0, 1.0, -1.0]) == pytest.approx(-2.0)


@pytest.mark.slow
def test_the_readme_numbers(page_command):
    summary = page_command("he")["summary"]
    assert summary["xavier Var Z_30 / Var Z_1"] < 1e-8 and 0.5 < summary["he Var Z_30 / Var Z_1"] < 2
    assert summary["xavier, momentum test accuracy"] < 0.15 < 0.9 < summary["he, momentum test accuracy"]
    assert summary["he, adam test accuracy"] > 0.9 and summary["xavier, adam test accuracy"] > 0.5


@pytest.mark.slow
@pytest.mark.parametrize("rate, xavier_stuck, he_above_0_9", [(1e-3, True, True), (1e-2, False, False)])
def test_the_outcome_at_other_momentum_rates(rate, xavier_stuck, he_above_0_9, page_command):
    """The experiments page's runs with ``--set momentum_learning_rate=0.001`` and ``=0.01``."""
    summary = page_command("he", f"momentum_learning_rate={rate}")["summary"]
    assert (summary["xavier, momentum test accuracy"] < 0.15) == xavier_stuck
    assert (summary["he, momentum test accuracy"] > 0.9) == he_above_0_9
