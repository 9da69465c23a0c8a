import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn.layers import Conv
from fnn.util import random_draws
from reference.layers import conv as rc
from tests.fnn.layers.test_conv import GEOMETRIES


@pytest.mark.parametrize("shape, settings", GEOMETRIES)
def test_the_sliding_window_loops_equal_the_rule_and_autodiff(shape, settings, key):
    k_p, k_x, k_y = jax.random.split(key, 3)
    layer = Conv(4, **settings)
    _, params, _ = layer.init(k_p, shape, dtype=jnp.float64)
    X = random_draws.normal(k_x, (2, *shape), jnp.float64)
    f = lambda p, x: layer.apply(p, (), x, train=True)[0]  # noqa: E731
    dY = random_draws.normal(k_y, f(params, X).shape, jnp.float64)
    auto = jax.vjp(f, params, X)[1](dY)
    rule = rc.rule_backward(layer, rc.ConvCache(X, params.W), dY)
    loops = rc.loop_backward(layer, X, params.W, dY)
    for a, r, lo in zip(jax.tree.leaves(auto), jax.tree.leaves(rule), jax.tree.leaves(loops)):
        np.testing.assert_allclose(r, a, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(lo, a, rtol=1e-12, atol=1e-12)
