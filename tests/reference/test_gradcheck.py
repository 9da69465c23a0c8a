import jax.numpy as jnp
import numpy as np
import pytest

from fnn.util import random_draws
from reference import gradcheck


def test_numerical_gradient_of_a_cubic_over_a_pytree(key):
    params = {"a": random_draws.normal(key, (3, 2)), "b": jnp.array([0.5, -2.0])}

    def f(p):
        return jnp.sum(p["a"] ** 3) + jnp.sum(jnp.sin(p["b"]))

    numeric = gradcheck.numerical_gradient(f, params, chunk=4)  # more than one chunk
    exact = {"a": 3 * params["a"] ** 2, "b": jnp.cos(params["b"])}
    # Rounding leaves ~ 1e-16 |f| / eps ~ 1e-10 absolute error; the truncation error is ~ eps^2.
    assert gradcheck.max_relative_error(numeric, exact) <= 1e-9


def test_relative_error_is_relative_to_the_whole_tree():
    a = {"W": jnp.array([1.0, -2.0]), "b": jnp.array([0.0])}
    b = {"W": jnp.array([1.0, -2.0 + 2e-6]), "b": jnp.array([1e-10])}
    report = gradcheck.report(a, b)
    np.testing.assert_allclose(report["['W']"], 1e-6, rtol=1e-6)
    np.testing.assert_allclose(report["['b']"], 5e-11, rtol=1e-6)
    assert gradcheck.max_relative_error(a, b) == report["['W']"]
    assert gradcheck.max_relative_error({"x": jnp.zeros(2)}, {"x": jnp.zeros(2)}) == 0.0


def test_mismatches_are_errors():
    with pytest.raises(ValueError, match=r"report: expected two pytrees of one structure"):
        gradcheck.report({"a": jnp.ones(1)}, {"b": jnp.ones(1)})
    with pytest.raises(ValueError, match=r"report: expected leaves of one shape at \['a'\], got \(1,\) and \(2,\)"):
        gradcheck.report({"a": jnp.ones(1)}, {"a": jnp.ones(2)})
    with pytest.raises(TypeError, match=r"numerical_gradient: expected params with a floating dtype"):
        gradcheck.numerical_gradient(lambda p: p, jnp.array([1, 2]))
