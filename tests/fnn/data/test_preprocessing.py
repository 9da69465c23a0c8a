import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn.data import preprocessing as pp
from fnn.data.prepare import prepare
from fnn.util import random_draws


def test_standardize_gives_zero_mean_unit_std_on_the_fitted_split(key):
    X = 3 + 2 * random_draws.normal(key, (200, 5))
    Z = jax.jit(pp.transform)(pp.fit_standardize(X), X)
    np.testing.assert_allclose(np.mean(Z, axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(np.std(Z, axis=0), 1, rtol=1e-12)


def test_min_max_maps_the_fitted_split_onto_the_unit_interval(key):
    X = random_draws.normal(key, (100, 3))
    Z = pp.transform(pp.fit_min_max(X), X)
    np.testing.assert_allclose(np.min(Z, axis=0), 0, atol=1e-15)
    np.testing.assert_allclose(np.max(Z, axis=0), 1, rtol=1e-14)


def test_constant_features_are_left_unscaled():
    X = jnp.array([[0.0, 1.0], [0.0, 3.0]])
    np.testing.assert_array_equal(pp.transform(pp.fit_standardize(X), X)[:, 0], [0.0, 0.0])


def test_no_test_statistics_leak_into_the_scaler(key):
    """The scaler of a prepared run is fitted on the training split alone."""
    data = prepare("moons", key=key)
    train_X = np.asarray(data.train[0])
    # Undo the scaling of the training split and refit: identical scaler, whatever val/test hold.
    raw_train = train_X * np.asarray(data.scaler.scale) + np.asarray(data.scaler.shift)
    refit = pp.fit_standardize(jnp.asarray(raw_train))
    np.testing.assert_allclose(refit.shift, data.scaler.shift, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(refit.scale, data.scaler.scale, rtol=1e-6)
    np.testing.assert_allclose(np.mean(train_X, axis=0), 0, atol=1e-5)
    assert np.max(np.abs(np.mean(np.asarray(data.test[0]), axis=0))) > 1e-3  # test set is not re-centred


def test_bad_input():
    scaler = pp.fit_standardize(jnp.ones((3, 4)))
    with pytest.raises(ValueError, match=r"preprocessing.transform: expected X with 4 features \(as fitted\), got X.shape=\(3, 5\)"):
        pp.transform(scaler, jnp.ones((3, 5)))
    with pytest.raises(ValueError, match=r"fit_standardize: expected X with 2 dimensions"):
        pp.fit_standardize(jnp.ones(3))
    with pytest.raises(ValueError, match=r"prepare: unknown scaling 'zscore'"):
        prepare("digits", key=jax.random.key(0), scaling="zscore")
