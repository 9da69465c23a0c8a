import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn.experiments import dropout_ensemble
from fnn.util import random_draws


def test_averaging_more_dropout_passes_lowers_the_log_loss(tmp_path):
    config = dropout_ensemble.SIZES["small"]
    numbers = dropout_ensemble.run(config, tmp_path)
    mc = numbers["monte_carlo"]
    assert numbers["passes"] == list(config.passes) and len(mc["accuracy"]) == len(config.passes)
    assert mc["log_loss"][-1] < mc["log_loss"][0] and mc["accuracy"][-1] >= mc["accuracy"][0]
    assert 0.3 < numbers["weight_scaling"]["accuracy"] <= 1
    assert (tmp_path / "dropout_ensemble.png").read_bytes()[:4] == b"\x89PNG"


def test_the_scores_of_probabilities():
    P = jnp.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.5, 0.5, 0.0]])
    y = jnp.array([0, 1, 2])
    assert dropout_ensemble.accuracy(P, y) == pytest.approx(1 / 3)
    tiny = np.finfo(np.float64).tiny
    assert dropout_ensemble.log_loss(P, y) == pytest.approx(-(np.log(0.7) + np.log(0.1) + np.log(tiny)) / 3)


def test_one_pass_of_monte_carlo_is_one_training_mode_pass(key):
    from fnn.models import mlp

    model = mlp.mlp((5,), 3, dropout=0.5)
    params = model.init(key, (4,), dtype=jnp.float64)[1]
    X, y = random_draws.normal(key, (6, 4), jnp.float64), jnp.array([0, 1, 2, 0, 1, 2])
    scores = dropout_ensemble.monte_carlo_scores(model, params, X, y, passes=(1,), repeats=1, key=key)
    keys = jax.random.split(jax.random.split(jax.random.fold_in(key, 1), 1)[0], 1)
    P = jax.nn.softmax(model.apply(params, (), X, train=True, key=keys[0])[0])
    assert scores["log_loss"][0] == pytest.approx(dropout_ensemble.log_loss(P, y), rel=1e-12)
    assert scores["log_loss_std"] == [0.0]


@pytest.mark.slow
def test_the_readme_numbers(page_command):
    numbers = page_command("dropout-ensemble")
    summary, passes = numbers["summary"], numbers["passes"]
    assert summary["K=1 test accuracy"] < summary["weight scaling test accuracy"] - 0.01
    assert abs(summary["K=64 test accuracy"] - summary["weight scaling test accuracy"]) < 0.01
    assert summary["K=64 test log-loss"] < 0.5 * summary["weight scaling test log-loss"] < summary["K=1 test log-loss"]
    assert all(summary[f"K={K} test log-loss"] < summary["weight scaling test log-loss"] for K in passes if K >= 2)
    assert all(abs(summary[f"K={K} test accuracy"] - summary["weight scaling test accuracy"]) < 0.005 for K in (8, 16))
