import jax
import jax.numpy as jnp
import numpy as np

from fnn.layers import dense
from fnn.util import random_draws
from reference.vjp import custom_vjp


def test_the_hand_derived_backward_is_what_autodiff_calls():
    # A deliberately different backward proves the wrapper really uses it.
    square = custom_vjp(lambda x: (x * x, x), lambda x, dy: 10.0 * dy)
    np.testing.assert_allclose(square(jnp.array(3.0)), 9.0)
    np.testing.assert_allclose(jax.grad(square)(jnp.array(3.0)), 10.0)


def test_two_argument_pairs_return_one_cotangent_per_argument(key):
    def forward(params, X):
        return dense.apply(params, X), (params, X)

    def backward(cache, dZ):
        params, X = cache
        return dense.DenseParams(X.T @ dZ, dZ.sum(0)), dZ @ params.W.T

    f = custom_vjp(forward, backward)
    params = dense.init(key, 3, 2, dtype=jnp.float64)
    X = random_draws.normal(key, (4, 3))
    grads = jax.jit(jax.grad(lambda p, x: jnp.sum(jnp.sin(f(p, x))), argnums=(0, 1)))(params, X)
    expected = jax.grad(lambda p, x: jnp.sum(jnp.sin(dense.apply(p, x))), argnums=(0, 1))(params, X)
    for a, b in zip(jax.tree.leaves(grads), jax.tree.leaves(expected)):
        np.testing.assert_allclose(a, b, rtol=1e-13)
