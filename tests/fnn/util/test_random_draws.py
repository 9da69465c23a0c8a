import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn.util import random_draws
from tests.conftest import compilations_during


def assert_direct(key):
    assert not random_draws._by_flat_index(key)


SHAPES = [(), (1,), (5,), (3, 4), (7, 5), (2, 3, 4, 5), (64,), (65,), (0, 3)]


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_draws_equal_jax_random_bit_for_bit(shape, dtype):
    key = jax.random.fold_in(jax.random.key(11), len(shape))
    np.testing.assert_array_equal(random_draws.normal(key, shape, dtype), jax.random.normal(key, shape, dtype))
    np.testing.assert_array_equal(random_draws.normal(key, shape, dtype, 0.37), 0.37 * jax.random.normal(key, shape, dtype))
    np.testing.assert_array_equal(random_draws.uniform(key, shape, dtype, -0.3, 0.7),
                                  jax.random.uniform(key, shape, dtype, minval=-0.3, maxval=0.7))
    assert random_draws.normal(key, shape, dtype).dtype == dtype


def test_shapes_of_one_size_class_share_one_compilation():
    key = jax.random.key(3)
    random_draws.normal(key, (3, 5), jnp.float32)  # compiles the size class 16 and the cut to (3, 5)
    compiled = compilations_during(lambda: random_draws.normal(key, (4, 3), jnp.float32).block_until_ready())
    assert compiled == 1  # the cut to (4, 3) alone; the draw of 16 values is reused


def test_under_a_trace_and_for_other_keys_they_draw_directly():
    key = jax.random.key(5)
    assert random_draws._by_flat_index(key)
    jax.jit(lambda k: (assert_direct(k), k)[1])(key)
    for other in (jax.random.key(5, impl="rbg"), jax.random.PRNGKey(5), jax.random.split(key, 2)):
        assert_direct(other)
    under_jit = jax.jit(lambda k: random_draws.normal(k, (3, 3), jnp.float64))(key)
    np.testing.assert_array_equal(under_jit, jax.random.normal(key, (3, 3), jnp.float64))
    rbg = jax.random.key(5, impl="rbg")
    np.testing.assert_array_equal(random_draws.uniform(rbg, (6,), jnp.float32, 0.0, 1.0),
                                  jax.random.uniform(rbg, (6,), jnp.float32))
    raw = jax.random.PRNGKey(5)
    np.testing.assert_array_equal(random_draws.normal(raw, (2, 7), jnp.float32), jax.random.normal(raw, (2, 7), jnp.float32))


def test_the_defaults_are_jax_randoms():
    """The default float dtype and U[0, 1), as in ``jax.random``: the tests draw their data through them."""
    key = jax.random.key(8)
    np.testing.assert_array_equal(random_draws.normal(key, (3, 2)), jax.random.normal(key, (3, 2)))
    np.testing.assert_array_equal(random_draws.uniform(key, (5,)), jax.random.uniform(key, (5,)))
