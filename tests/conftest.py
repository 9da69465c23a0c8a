"""Test setup: float64 and strict dtype promotion before any array exists; shared fixtures."""

import jax

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_dtype_promotion", "strict")

import hypothesis  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

hypothesis.settings.register_profile("fnn", deadline=None, max_examples=8, derandomize=True)
hypothesis.settings.load_profile("fnn")

HAND_VS_AUTODIFF = {"rtol": 1e-10, "atol": 1e-12}
"""Hand-derived vs autodiff in float64 (the atol covers entries whose true value is 0)."""


@pytest.fixture
def key():
    return jax.random.key(0)


def assert_trees_close(actual, expected, *, rtol, atol):
    """Assert two pytrees have one structure and allclose leaves."""
    assert jax.tree.structure(actual) == jax.tree.structure(expected)
    for a, e in zip(jax.tree.leaves(actual), jax.tree.leaves(expected)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(e), rtol=rtol, atol=atol)
