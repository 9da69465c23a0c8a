import jax
import numpy as np
import pytest

import jax.numpy as jnp

from fnn.data.batching import minibatch_indices, permutation, stable_argsort


def test_indices_are_distinct_full_batches_from_a_permutation(key):
    idx = np.asarray(jax.jit(minibatch_indices, static_argnums=(1, 2))(key, 103, 10))
    assert idx.shape == (10, 10)
    assert len(np.unique(idx)) == 100 and idx.min() >= 0 and idx.max() < 103
    other = np.asarray(minibatch_indices(jax.random.fold_in(key, 1), 103, 10))
    assert not np.array_equal(idx, other)


def test_bad_batch_size(key):
    with pytest.raises(ValueError, match=r"minibatch_indices: expected batch_size to be a positive int, got 0"):
        minibatch_indices(key, 10, 0)


@pytest.mark.parametrize("n", [0, 1, 2, 103, 1625, 1626, 5000])
def test_permutation_is_jax_random_permutation_bit_for_bit(n):
    # n = 1626 is the first size JAX draws in two rounds of sorting.
    keys = jax.random.split(jax.random.key(n), 3)
    expected = jax.vmap(lambda k: jax.random.permutation(k, n))(keys)
    np.testing.assert_array_equal(jax.vmap(lambda k: permutation(k, n))(keys), expected)  # traced, batched
    np.testing.assert_array_equal(permutation(keys[0], n), expected[0])  # op by op
    np.testing.assert_array_equal(jax.jit(permutation, static_argnums=1)(keys[1], n), expected[1])


def test_stable_argsort_keeps_equal_keys_in_order():
    # 4,000 keys from 50 values: every key is tied, so only a stable sort gives these indices.
    keys = jax.random.randint(jax.random.key(3), (4000,), 0, 50).astype(jnp.uint32)
    np.testing.assert_array_equal(jax.jit(stable_argsort)(keys), np.argsort(np.asarray(keys), kind="stable"))
