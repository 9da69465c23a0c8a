import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn.experiments import universal_approximation as ua


def test_the_error_falls_as_the_hidden_layer_widens(tmp_path):
    numbers = ua.run(ua.SIZES["small"], tmp_path)
    errors = numbers["errors"]
    assert numbers["widths"] == [1, 2, 4, 8]
    assert np.all(np.diff(errors["rmse"]) < 0) and np.all(np.diff(errors["train_mse"]) < 0)
    assert errors["max_abs_error"][-1] < 0.1 * errors["max_abs_error"][0]
    assert (tmp_path / "universal_approximation.png").read_bytes()[:4] == b"\x89PNG"


def test_zero_padded_units_get_zero_gradients_so_they_stay_zero(key):
    X = jnp.linspace(-2, 2, 32, dtype=jnp.float32)[:, None]
    data = (X, ua.target(X[:, 0]))
    narrow = ua.network(2).model.init(key, (1,), dtype=jnp.float32)[1]
    padded = ua.resize(narrow, ua.network(5).model.init(key, (1,), dtype=jnp.float32)[1])
    grads = jax.grad(ua.network(5))(padded, data)
    assert np.all(np.asarray(grads[0].W[:, 2:]) == 0) and np.all(np.asarray(grads[0].b[2:]) == 0)
    assert np.all(np.asarray(grads[2].W[2:]) == 0) and np.any(np.asarray(grads[2].W[:2]) != 0)
    assert float(ua.network(5)(padded, data)) == float(ua.network(2)(narrow, data))  # the zeros add exactly


def test_resize_cuts_and_zero_pads_every_leaf(key):
    narrow = ua.network(2).model.init(key, (1,), dtype=jnp.float32)[1]
    padded = ua.resize(narrow, ua.network(5).model.init(key, (1,), dtype=jnp.float32)[1])
    assert padded[0].W.shape == (1, 5) and padded[2].W.shape == (5, 1)
    assert np.all(np.asarray(padded[0].W[:, 2:]) == 0) and np.all(np.asarray(padded[2].W[2:]) == 0)
    for a, b in zip(jax.tree.leaves(ua.resize(padded, narrow)), jax.tree.leaves(narrow)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.slow
def test_the_readme_numbers(page_command):
    errors = page_command("universal-approximation")["errors"]
    rmse, largest = errors["rmse"], errors["max_abs_error"]
    assert np.all(np.diff(rmse[:5]) < 0)  # k = 1, 2, 4, 8, 16
    assert rmse[4] < 2e-3 * rmse[0] and largest[4] < 0.005
    assert max(largest[3:]) < 0.02  # k >= 8: within 0.02 everywhere on [-2, 2]
    assert rmse[5] < rmse[4] < rmse[6] and errors["train_mse"][6] > errors["train_mse"][4]  # k = 32 best, 64 worse
