import jax.numpy as jnp
import numpy as np
import pytest

from fnn.data.splits import train_val_test_split


def test_split_partitions_the_samples(key):
    X = jnp.arange(100.0)[:, None]
    y = jnp.arange(100)
    parts = train_val_test_split(key, X, y, val_fraction=0.15, test_fraction=0.25)
    sizes = [len(p[1]) for p in parts]
    assert sizes == [60, 15, 25]
    ids = np.concatenate([np.asarray(p[1]) for p in parts])
    np.testing.assert_array_equal(np.sort(ids), np.arange(100))
    for Xp, yp in parts:
        np.testing.assert_array_equal(np.asarray(Xp[:, 0]), np.asarray(yp))


def test_bad_fractions(key):
    X, y = jnp.ones((10, 2)), jnp.ones(10)
    with pytest.raises(ValueError, match=r"train_val_test_split: expected val_fraction in \[0, 1\), got 1.5"):
        train_val_test_split(key, X, y, val_fraction=1.5)
    with pytest.raises(ValueError, match=r"expected val_fraction \+ test_fraction to leave training samples"):
        train_val_test_split(key, X, y, val_fraction=0.5, test_fraction=0.5)
    with pytest.raises(ValueError, match=r"expected as many labels as samples"):
        train_val_test_split(key, X, y[:5])
