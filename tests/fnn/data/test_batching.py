import jax
import numpy as np
import pytest

from fnn.data.batching import minibatch_indices


def test_indices_are_distinct_full_batches_from_a_permutation(key):
    idx = np.asarray(jax.jit(minibatch_indices, static_argnums=(1, 2))(key, 103, 10))
    assert idx.shape == (10, 10)
    assert len(np.unique(idx)) == 100 and idx.min() >= 0 and idx.max() < 103
    other = np.asarray(minibatch_indices(jax.random.fold_in(key, 1), 103, 10))
    assert not np.array_equal(idx, other)


def test_bad_batch_size(key):
    with pytest.raises(ValueError, match=r"minibatch_indices: expected batch_size to be a positive int, got 0"):
        minibatch_indices(key, 10, 0)
