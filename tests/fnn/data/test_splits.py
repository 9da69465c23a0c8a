import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn.data.splits import _stratified_order, class_subset, train_val_test_split


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


@pytest.mark.parametrize("stratify", [False, True])
def test_a_split_takes_the_rows_of_the_permutation_in_the_order_of_its_parts(key, stratify):
    """The one-program split equals the rows of ``jax.random.permutation`` (or the stratified
    order) cut into test, validation and train, gathered one operation at a time."""
    X = jax.random.normal(key, (50, 3))
    y = jnp.arange(50) % 3
    order = _stratified_order(key, y) if stratify else np.asarray(jax.random.permutation(key, 50))
    parts = train_val_test_split(key, X, y, val_fraction=0.2, test_fraction=0.1, stratify=stratify)
    for (Xp, yp), rows in zip(parts, (order[15:], order[:10], order[10:15])):
        assert isinstance(Xp, jax.Array) and Xp.dtype == X.dtype and yp.dtype == y.dtype
        np.testing.assert_array_equal(Xp, X[jnp.asarray(rows)])
        np.testing.assert_array_equal(yp, y[jnp.asarray(rows)])


def test_numpy_data_is_split_as_numpy_with_its_dtypes(key):
    X = np.arange(40.0).reshape(20, 2)  # float64
    y = np.array(list("ab") * 10)  # string labels
    parts = train_val_test_split(key, X, y, val_fraction=0.25, test_fraction=0.25)
    for Xp, yp in parts:
        assert isinstance(Xp, np.ndarray) and Xp.dtype == np.float64 and yp.dtype == y.dtype
        np.testing.assert_array_equal(yp, np.where(Xp[:, 0] % 4 == 0, "a", "b"))
    assert [len(p[1]) for p in parts] == [10, 5, 5]


def test_bad_fractions(key):
    X, y = jnp.ones((10, 2)), jnp.ones(10)
    with pytest.raises(ValueError, match=r"train_val_test_split: expected val_fraction in \[0, 1\), got 1.5"):
        train_val_test_split(key, X, y, val_fraction=1.5)
    with pytest.raises(ValueError, match=r"expected val_fraction \+ test_fraction to leave training samples"):
        train_val_test_split(key, X, y, val_fraction=0.5, test_fraction=0.5)
    with pytest.raises(ValueError, match=r"expected as many labels as samples"):
        train_val_test_split(key, X, y[:5])


def test_stratified_split_keeps_class_proportions(key):
    y = jnp.asarray(np.repeat([0, 1, 2], [60, 30, 10]))
    X = jnp.arange(100.0)[:, None]
    parts = train_val_test_split(key, X, y, val_fraction=0.2, test_fraction=0.3, stratify=True)
    for (_, yp), n in zip(parts, (50, 20, 30)):
        counts = np.bincount(np.asarray(yp), minlength=3)
        assert counts.sum() == n
        np.testing.assert_allclose(counts, n * np.array([0.6, 0.3, 0.1]), atol=1.0)
    ids = np.sort(np.concatenate([np.asarray(p[0][:, 0]) for p in parts]))
    np.testing.assert_array_equal(ids, np.arange(100))


@pytest.mark.parametrize("stratified", [False, True])
def test_kfold_validation_parts_partition_the_data(stratified, key):
    from fnn.data.splits import kfold_indices

    y = np.repeat([0, 1, 2], [50, 47, 20])
    folds = kfold_indices(key, len(y), 5, y=y if stratified else None)
    validation = np.concatenate([v for _, v in folds])
    np.testing.assert_array_equal(np.sort(validation), np.arange(len(y)))
    sizes = [len(v) for _, v in folds]
    assert max(sizes) - min(sizes) <= 1
    for train, val in folds:
        assert len(np.intersect1d(train, val)) == 0 and len(train) + len(val) == len(y)
    if stratified:
        per_class = np.array([np.bincount(y[v], minlength=3) for _, v in folds])
        assert np.all(per_class.max(axis=0) - per_class.min(axis=0) <= 1)


def test_kfold_bad_k(key):
    from fnn.data.splits import kfold_indices

    with pytest.raises(ValueError, match=r"kfold_indices: expected k to be an int in \[2, 10\], got 1"):
        kfold_indices(key, 10, 1)


def test_a_class_subset_keeps_the_first_rows_of_each_class_renumbered_in_the_order_given():
    y = jnp.array([3, 1, 3, 0, 1, 3, 1], jnp.int32)
    X = jnp.arange(7.0)[:, None]
    Xs, ys = class_subset(X, y, (3, 1), per_class=2)
    np.testing.assert_array_equal(Xs[:, 0], [0, 1, 2, 4])
    np.testing.assert_array_equal(ys, [0, 1, 0, 1])
    assert ys.dtype == y.dtype
    np.testing.assert_array_equal(class_subset(X, y, (1, 0))[1], [0, 1, 0, 0])
    with pytest.raises(ValueError, match="class_subset: expected at least 3 rows of class 0, got 1"):
        class_subset(X, y, (3, 0), per_class=3)
