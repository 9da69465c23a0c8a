import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn import optim
from fnn.optim import landscapes


@pytest.mark.parametrize("name", [n for n, m in landscapes.MINIMA.items() if m is not None])
def test_the_stated_minimum_is_a_stationary_point_with_value_zero(name):
    f = landscapes.FUNCTIONS[name][0]
    x = jnp.asarray(landscapes.MINIMA[name])
    assert float(f(x)) == pytest.approx(0.0, abs=1e-14)
    np.testing.assert_allclose(jax.grad(f)(x), 0.0, atol=1e-12)


def test_saddle_has_a_zero_gradient_and_an_indefinite_hessian():
    assert np.allclose(jax.grad(landscapes.saddle)(jnp.zeros(2)), 0)
    assert sorted(np.linalg.eigvalsh(jax.hessian(landscapes.saddle)(jnp.zeros(2)))) == [-2.0, 2.0]


def test_trajectory_records_every_iterate_and_descends():
    f, start, _ = landscapes.FUNCTIONS["ill-conditioned quadratic"]
    xs = landscapes.trajectory(optim.sgd(0.05), f, start, steps=50)
    assert xs.shape == (51, 2)
    np.testing.assert_array_equal(xs[0], start)
    np.testing.assert_allclose(xs[1], np.array(start) - 0.05 * np.array([start[0], 20 * start[1]]), rtol=1e-14, atol=1e-15)
    assert float(f(xs[-1])) < 1e-2 * float(f(xs[0]))
