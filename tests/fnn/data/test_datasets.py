import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn.data import datasets


def test_digits_ships_with_scikit_learn():
    data = datasets.digits()
    assert data.X.shape == (1797, 64) and data.y.shape == (1797,) and data.num_classes == 10
    assert data.X.dtype == np.float32 and float(data.X.max()) == 16.0
    assert set(np.unique(np.asarray(data.y))) == set(range(10))


@pytest.mark.parametrize("name", sorted(datasets.GENERATED))
def test_generated_sets_are_balanced_deterministic_functions_of_the_key(name, key):
    a, b = datasets.load(name, key=key), datasets.load(name, key=key)
    c = datasets.load(name, key=jax.random.fold_in(key, 1))
    np.testing.assert_array_equal(a.X, b.X)
    assert not np.array_equal(a.X, c.X)
    assert a.X.shape == (1000, 2) and a.num_classes == 2
    counts = datasets.class_counts(a.y, 2)
    assert abs(counts[0] - counts[1]) < 100


def test_xor_labels_are_the_xor_of_the_signs(key):
    data = datasets.xor(key, 500, noise=0.0)
    X = np.asarray(data.X)
    np.testing.assert_array_equal(np.asarray(data.y), (X[:, 0] > 0) != (X[:, 1] > 0))


def test_noise_free_moons_lie_on_their_circles(key):
    data = datasets.moons(key, 200, noise=0.0)
    X, y = np.asarray(data.X), np.asarray(data.y)
    np.testing.assert_allclose(np.hypot(X[y == 0, 0], X[y == 0, 1]), 1.0, rtol=1e-6)
    np.testing.assert_allclose(np.hypot(X[y == 1, 0] - 1, X[y == 1, 1] - 0.5), 1.0, rtol=1e-6)


def test_noise_free_spirals_have_radius_t_and_opposite_arms(key):
    data = datasets.two_spirals(key, 200, noise=0.0)
    r = np.hypot(*np.asarray(data.X).T)
    assert r.min() >= 0.05 - 1e-6 and r.max() <= 1.0 + 1e-6


def test_bad_input(key):
    with pytest.raises(ValueError, match=r"datasets.load: unknown dataset 'cifar'; expected one of breast_cancer, diabetes, digits, file, iris, mnist, mnist1d, moons"):
        datasets.load("cifar", key=key)
    with pytest.raises(ValueError, match=r"moons: expected n to be an int >= 2, got 1"):
        datasets.moons(key, 1)
    with pytest.raises(ValueError, match=r"xor: expected noise in \[0, inf\], got -1"):
        datasets.xor(key, noise=-1)


def test_diabetes_is_a_regression_set_with_standardised_targets(key):
    from sklearn.datasets import load_diabetes

    from fnn.data.prepare import prepare
    from fnn.data.preprocessing import inverse_transform

    data = datasets.load("diabetes", key=key)
    assert data.X.shape == (442, 10) and data.num_classes == 0 and data.y.dtype == jnp.float32
    np.testing.assert_allclose(data.y, load_diabetes().target, rtol=1e-6)
    prepared = prepare("diabetes", key=key)
    y_train = prepared.train[1]
    assert abs(float(jnp.mean(y_train))) < 1e-5 and abs(float(jnp.std(y_train)) - 1) < 1e-5
    back = inverse_transform(prepared.target_scaler, prepared.test[1][:, None])[:, 0]
    assert set(np.round(np.asarray(back)).astype(int)) <= set(load_diabetes().target.astype(int))
    with pytest.raises(ValueError, match=r"prepare: diabetes has real-valued targets; stratified splits need classes"):
        prepare("diabetes", key=key, stratify=True)


@pytest.mark.parametrize("name, shape, classes", [("iris", (150, 4), 3), ("wine", (178, 13), 3), ("breast_cancer", (569, 30), 2)])
def test_scikit_learn_bundled_tables(name, shape, classes, key):
    data = datasets.load(name, key=key)
    assert data.X.shape == shape and data.num_classes == classes and data.test is None
    assert set(np.unique(np.asarray(data.y))) == set(range(classes))


def test_mnist1d_is_generated_offline_without_touching_the_global_random_state(key):
    import random

    np.random.seed(123)
    random.seed(123)
    expected = (np.random.rand(), random.random())
    np.random.seed(123)
    random.seed(123)
    data = datasets.load("mnist1d", key=key)
    assert (np.random.rand(), random.random()) == expected
    assert data.X.shape == (4000, 40) and data.test[0].shape == (1000, 40) and data.num_classes == 10
    assert datasets._mnist1d_arrays(42)[0] is datasets._mnist1d_arrays(42)[0]  # cached in memory
    np.testing.assert_array_equal(datasets.class_counts(data.y, 10) + datasets.class_counts(data.test[1], 10), [500] * 10)


def test_mnist_from_idx_files_keeps_its_test_split(tmp_path, key):
    from tests.fnn.data.test_idx import write_mnist

    arrays = write_mnist(tmp_path)
    data = datasets.load("mnist", key=key, data_dir=tmp_path)
    assert data.X.shape == (6, 784) and data.test[0].shape == (4, 784)
    np.testing.assert_allclose(data.X[0], arrays["train_images"][0].ravel() / 255, rtol=1e-6)
    with pytest.raises(ValueError, match=r"datasets.load: the mnist data set is read from disk; give data_dir, the folder of its IDX files"):
        datasets.load("mnist", key=key)
