import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn.optim import second_order
from fnn.optim.landscapes import rosenbrock

A = jnp.array([[3.0, 1.0, 0.5], [1.0, 2.0, 0.3], [0.5, 0.3, 1.5]])
B = jnp.array([1.0, -2.0, 0.5])


def quadratic(x):
    return 0.5 * x @ A @ x - B @ x


SOLUTION = np.linalg.solve(np.asarray(A), np.asarray(B))


def test_newton_minimises_a_quadratic_in_one_step():
    path = jax.jit(lambda x: second_order.newton(quadratic, x, steps=2))(jnp.zeros(3))
    np.testing.assert_allclose(path.x[1], SOLUTION, rtol=1e-13)
    assert path.x.shape == (3, 3) and path.values.shape == (3,)


def test_damped_newton_reaches_the_rosenbrock_minimum():
    path = second_order.newton(rosenbrock, jnp.array([-1.2, 1.0]), steps=30, damping=1e-3)
    np.testing.assert_allclose(path.x[-1], [1.0, 1.0], atol=1e-8)


def test_coordinate_descent_is_gauss_seidel_on_a_quadratic():
    path = second_order.coordinate_descent(quadratic, jnp.zeros(3), sweeps=60)
    np.testing.assert_allclose(path.x[-1], SOLUTION, rtol=1e-12)
    x = np.zeros(3)  # one Gauss-Seidel sweep by hand
    for i in range(3):
        x[i] = (B[i] - np.asarray(A)[i] @ x + A[i, i] * x[i]) / A[i, i]
    np.testing.assert_allclose(path.x[1], x, rtol=1e-13)
    assert np.all(np.diff(np.asarray(path.values)) <= 1e-15)  # never goes up


def test_coordinate_descent_with_a_fixed_rate():
    path = second_order.coordinate_descent(quadratic, jnp.zeros(3), sweeps=400, learning_rate=0.3)
    np.testing.assert_allclose(path.x[-1], SOLUTION, rtol=1e-8)


def test_lbfgs_reaches_the_rosenbrock_minimum():
    path = second_order.lbfgs(rosenbrock, jnp.array([-1.2, 1.0]), steps=60)
    np.testing.assert_allclose(path.x[-1], [1.0, 1.0], atol=1e-7)
    assert path.values[-1] < 1e-12


def test_bad_input():
    with pytest.raises(ValueError, match=r"newton: expected x0 with 1 dimensions, got x0.shape=\(2, 2\)"):
        second_order.newton(quadratic, jnp.zeros((2, 2)), steps=1)
    with pytest.raises(ValueError, match=r"lbfgs: expected steps to be a positive int, got 0"):
        second_order.lbfgs(quadratic, jnp.zeros(3), steps=0)
    with pytest.raises(ValueError, match=r"newton: expected damping in \[0, inf\], got -1.0"):
        second_order.newton(quadratic, jnp.zeros(3), steps=1, damping=-1.0)
