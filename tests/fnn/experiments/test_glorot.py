import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn.experiments import glorot
from fnn.models import mlp
from fnn.util import random_draws


def test_standard_init_shrinks_activations_and_gradients_by_depth_more_than_normalised(tmp_path):
    by_layer = glorot.run(glorot.SIZES["small"], tmp_path)["by_layer"]
    ratios = {name: (s["activation_std"][-1] / s["activation_std"][0], s["gradient_std"][0] / s["gradient_std"][-1])
              for name, s in by_layer.items()}
    assert np.all(np.diff(by_layer["standard"]["activation_std"]) < 0)  # shrinks towards the output
    assert np.all(np.diff(by_layer["standard"]["gradient_std"]) > 0)    # shrinks towards the input
    for standard, normalised in zip(ratios["standard"], ratios["normalised"]):
        assert standard < 0.5 * normalised
    jacobians = {name: np.mean(s["jacobian_mean_singular_value"][1:]) for name, s in by_layer.items()}
    assert jacobians["standard"] < jacobians["normalised"] < 1
    for name in ("histograms.png", "by_layer.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"


def test_the_layer_jacobian_is_diag_of_tanh_derivative_times_W_transposed(key):
    model = mlp.mlp((4, 3), 2, activation="tanh", initializer="glorot_uniform")
    params = model.init(key, (5,), dtype=jnp.float64)[1]
    X = random_draws.normal(jax.random.fold_in(key, 1), (6, 5), jnp.float64)
    A1 = jnp.tanh(X @ params[0].W + params[0].b)
    A2 = jnp.tanh(A1 @ params[2].W + params[2].b)
    expected = [np.mean([np.linalg.svd(((1 - a**2)[:, None] * W.T), compute_uv=False).mean() for a in A])
                for A, W in ((A1, params[0].W), (A2, params[2].W))]
    np.testing.assert_allclose(glorot.jacobian_singular_values(model, params, X), expected, rtol=1e-10)


def test_the_back_propagated_gradients_are_those_of_the_summed_loss(key):
    model = mlp.mlp((4, 3), 2, activation="tanh")
    params = model.init(key, (5,), dtype=jnp.float64)[1]
    X = random_draws.normal(jax.random.fold_in(key, 1), (6, 5), jnp.float64)
    y = jnp.array([0, 1, 1, 0, 1, 0])
    stats = glorot.layer_statistics(model, params, X, y)
    logits = model.apply(params, (), X, train=False)[0]
    dlogits = jax.nn.softmax(logits) - jax.nn.one_hot(y, 2, dtype=jnp.float64)  # d(N J)/d logits = s - y
    dZ2 = (dlogits @ params[4].W.T) * (1 - stats["A"][1] ** 2)
    np.testing.assert_allclose(stats["dZ"][1], dZ2, rtol=1e-10)
    np.testing.assert_allclose(stats["dW"][1], stats["A"][0].T @ dZ2, rtol=1e-10)


@pytest.mark.slow
def test_the_readme_numbers(page_command):
    by_layer = page_command("glorot")["by_layer"]
    standard, normalised = by_layer["standard"], by_layer["normalised"]
    assert standard["activation_std"][-1] < 0.15 * standard["activation_std"][0]
    assert standard["gradient_std"][0] < 0.15 * standard["gradient_std"][-1]
    assert normalised["activation_std"][-1] > 0.5 * normalised["activation_std"][0]
    assert normalised["gradient_std"][0] > 0.5 * normalised["gradient_std"][-1]
    assert max(standard["weight_gradient_std"]) < 1.1 * min(standard["weight_gradient_std"])
    assert all(0.4 < s < 0.55 for s in standard["jacobian_mean_singular_value"][1:])
    assert all(0.7 < s < 0.85 for s in normalised["jacobian_mean_singular_value"][1:])
    # the first layer (64 inputs): 0.93 standard and 0.99 normalised on the page
    assert 0.85 < standard["jacobian_mean_singular_value"][0] < normalised["jacobian_mean_singular_value"][0] < 1.05
