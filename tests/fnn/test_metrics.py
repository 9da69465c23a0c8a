import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sklearn.metrics as skm
from sklearn.exceptions import UndefinedMetricWarning
from hypothesis import given
from hypothesis import strategies as st

from fnn import metrics
from fnn.util import random_draws

K = 4


def labels(seed, n=40, k=K, missing=None):
    rng = np.random.default_rng(seed)
    y_true, y_pred = rng.integers(0, k, n), rng.integers(0, k, n)
    if missing is not None:  # a class never predicted
        y_pred[y_pred == missing] = (missing + 1) % k
    return jnp.asarray(y_true), jnp.asarray(y_pred)


@functools.cache
def jitted(f, **static):
    """One compiled function per metric and static arguments, shared by all examples."""
    return jax.jit(functools.partial(f, **static))


@given(seed=st.integers(0, 10_000), missing=st.sampled_from([None, 0, 2]))
def test_classification_metrics_equal_scikit_learn(seed, missing):
    y_true, y_pred = labels(seed, missing=missing)
    t, p = np.asarray(y_true), np.asarray(y_pred)
    np.testing.assert_array_equal(jitted(metrics.confusion_matrix, num_classes=K)(y_true, y_pred),
                                  skm.confusion_matrix(t, p, labels=range(K)))
    np.testing.assert_allclose(jax.jit(metrics.accuracy)(y_true, y_pred), skm.accuracy_score(t, p), rtol=1e-12)
    for average in ("micro", "macro", None):
        kw = dict(labels=range(K), average=average, zero_division=0)
        np.testing.assert_allclose(jitted(metrics.precision, num_classes=K, average=average)(y_true, y_pred),
                                   skm.precision_score(t, p, **kw), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(jitted(metrics.recall, num_classes=K, average=average)(y_true, y_pred),
                                   skm.recall_score(t, p, **kw), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(jitted(metrics.f1, num_classes=K, average=average)(y_true, y_pred),
                                   skm.f1_score(t, p, **kw), rtol=1e-12, atol=1e-15)
        for beta in (0.5, 2.0):
            np.testing.assert_allclose(jitted(metrics.f_beta, num_classes=K, beta=beta, average=average)(y_true, y_pred),
                                       skm.fbeta_score(t, p, beta=beta, **kw), rtol=1e-12, atol=1e-15)


def test_a_single_class_present():
    y_true = jnp.zeros(10, jnp.int32)
    y_pred = jnp.array([0] * 7 + [1] * 3)
    t, p = np.asarray(y_true), np.asarray(y_pred)
    for average in ("micro", "macro", None):
        kw = dict(labels=range(3), average=average, zero_division=0)
        np.testing.assert_allclose(metrics.recall(y_true, y_pred, 3, average=average), skm.recall_score(t, p, **kw))
        np.testing.assert_allclose(metrics.precision(y_true, y_pred, 3, average=average), skm.precision_score(t, p, **kw))
        np.testing.assert_allclose(metrics.f1(y_true, y_pred, 3, average=average), skm.f1_score(t, p, **kw))


@given(seed=st.integers(0, 10_000), ties=st.booleans())
def test_binary_roc_curve_and_auc_equal_scikit_learn(seed, ties):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 30)
    y[:2] = [0, 1]  # both classes present
    scores = np.round(rng.normal(size=30), 1 if ties else 12)
    auc = jax.jit(metrics.roc_auc)(jnp.asarray(y), jnp.asarray(scores))
    np.testing.assert_allclose(auc, skm.roc_auc_score(y, scores), rtol=1e-12)
    fpr, tpr, thresholds = jax.jit(metrics.roc_curve)(jnp.asarray(y), jnp.asarray(scores))
    sk_fpr, sk_tpr, _ = skm.roc_curve(y, scores, drop_intermediate=False)
    ours = sorted(set(zip(np.asarray(fpr).round(12), np.asarray(tpr).round(12))))
    assert ours == sorted(set(zip(sk_fpr.round(12), sk_tpr.round(12))))
    assert fpr.shape == (31,) and thresholds[0] == np.inf


def test_one_vs_rest_macro_auc_equals_scikit_learn(key):
    rng = np.random.default_rng(3)
    y = rng.integers(0, K, 60)
    scores = jax.nn.softmax(random_draws.normal(key, (60, K)))
    np.testing.assert_allclose(jax.jit(metrics.roc_auc)(jnp.asarray(y), scores),
                               skm.roc_auc_score(y, np.asarray(scores), multi_class="ovr", average="macro"), rtol=1e-12)


@given(seed=st.integers(0, 10_000), shape=st.sampled_from([(20,), (15, 3)]))
def test_regression_metrics_equal_scikit_learn(seed, shape):
    rng = np.random.default_rng(seed)
    y, yhat = rng.normal(size=shape), rng.normal(size=shape)
    yj, yhatj = jnp.asarray(y), jnp.asarray(yhat)
    np.testing.assert_allclose(jax.jit(metrics.mse)(yj, yhatj), skm.mean_squared_error(y, yhat), rtol=1e-12)
    np.testing.assert_allclose(jax.jit(metrics.rmse)(yj, yhatj), skm.root_mean_squared_error(y, yhat), rtol=1e-12)
    np.testing.assert_allclose(jax.jit(metrics.mae)(yj, yhatj), skm.mean_absolute_error(y, yhat), rtol=1e-12)
    np.testing.assert_allclose(jax.jit(metrics.r2)(yj, yhatj), skm.r2_score(y, yhat), rtol=1e-12)
    r = np.abs(yhat - y)
    np.testing.assert_allclose(jax.jit(metrics.huber)(yj, yhatj), np.mean(np.where(r <= 1, r**2 / 2, r - 0.5)), rtol=1e-12)


def test_two_dimensional_targets_average_per_output_as_scikit_learn():
    # Outputs on different scales: the mean of per-output RMSEs is far from the pooled sqrt(mse).
    rng = np.random.default_rng(7)
    y = rng.normal(size=(25, 3)) * np.array([0.1, 1.0, 30.0])
    yhat = y + rng.normal(size=(25, 3)) * np.array([0.05, 2.0, 10.0])
    yj, yhatj = jnp.asarray(y), jnp.asarray(yhat)
    uniform = dict(multioutput="uniform_average")
    np.testing.assert_allclose(metrics.rmse(yj, yhatj), skm.root_mean_squared_error(y, yhat, **uniform), rtol=1e-12)
    assert not np.isclose(float(metrics.rmse(yj, yhatj)), np.sqrt(np.mean((yhat - y) ** 2)), rtol=1e-2)
    np.testing.assert_allclose(metrics.mse(yj, yhatj), skm.mean_squared_error(y, yhat, **uniform), rtol=1e-12)
    np.testing.assert_allclose(metrics.mae(yj, yhatj), skm.mean_absolute_error(y, yhat, **uniform), rtol=1e-12)
    np.testing.assert_allclose(metrics.r2(yj, yhatj), skm.r2_score(y, yhat, **uniform), rtol=1e-12)
    np.testing.assert_allclose(metrics.rmse(yj[:, :1], yhatj[:, :1]), skm.root_mean_squared_error(y[:, 0], yhat[:, 0]),
                               rtol=1e-12)


def test_roc_auc_of_an_absent_class_is_undefined_as_in_scikit_learn(key):
    rng = np.random.default_rng(3)
    y = rng.integers(0, K, 60)
    y[y == 2] = 1  # class 2 never occurs
    scores = np.asarray(jax.nn.softmax(random_draws.normal(key, (60, K))))
    with pytest.raises(ValueError, match="Number of classes in y_true"):
        skm.roc_auc_score(y, scores, multi_class="ovr", average="macro")
    with pytest.raises(ValueError, match=r"roc_auc: expected every class 0..3 in y_true \(scores has 4 columns\), "
                                         r"got no sample of class 2; its one-vs-rest AUC is undefined"):
        metrics.roc_auc(jnp.asarray(y), jnp.asarray(scores))
    y[y == 0] = 1
    with pytest.raises(ValueError, match=r"got no sample of class 0, 2;"):
        metrics.roc_auc(jnp.asarray(y), jnp.asarray(scores))
    # Under jit the values are unknown: the undefined AUC is NaN, scikit-learn's value given labels=.
    with pytest.warns(UndefinedMetricWarning):
        expected = skm.roc_auc_score(y, scores, multi_class="ovr", average="macro", labels=range(K))
    assert np.isnan(expected) and np.isnan(jax.jit(metrics.roc_auc)(jnp.asarray(y), jnp.asarray(scores)))


def test_binary_roc_auc_with_one_class_is_undefined_as_in_scikit_learn():
    y, scores = np.zeros(6, np.int32), np.linspace(0, 1, 6)
    with pytest.warns(UndefinedMetricWarning, match="Only one class"):
        assert np.isnan(skm.roc_auc_score(y, scores))
    with pytest.raises(ValueError, match=r"roc_auc: expected both classes in y_true, got no positive \(y > 0\) sample"):
        metrics.roc_auc(jnp.asarray(y), jnp.asarray(scores))
    with pytest.raises(ValueError, match=r"roc_auc: expected both classes in y_true, got no negative \(y <= 0\) sample"):
        metrics.roc_auc(jnp.ones(6, jnp.int32), jnp.asarray(scores))
    assert np.isnan(jax.jit(metrics.roc_auc)(jnp.asarray(y), jnp.asarray(scores)))


def test_r2_of_a_constant_target_follows_scikit_learn():
    y = jnp.ones(5)
    assert float(metrics.r2(y, y)) == skm.r2_score(np.ones(5), np.ones(5)) == 1.0
    assert float(metrics.r2(y, y + 1)) == skm.r2_score(np.ones(5), np.ones(5) + 1) == 0.0


def test_bad_input():
    with pytest.raises(ValueError, match=r"confusion_matrix: expected y_true and y_pred of the same shape, got \(3,\) and \(4,\)"):
        metrics.confusion_matrix(jnp.zeros(3, jnp.int32), jnp.zeros(4, jnp.int32), 2)
    with pytest.raises(ValueError, match=r"precision: unknown average 'weighted'; expected one of macro, micro"):
        metrics.precision(jnp.zeros(3, jnp.int32), jnp.zeros(3, jnp.int32), 2, average="weighted")
    with pytest.raises(ValueError, match=r"f_beta: expected beta in \(0, inf\], got 0.0"):
        metrics.f_beta(jnp.zeros(3, jnp.int32), jnp.zeros(3, jnp.int32), 2, beta=0.0)
    with pytest.raises(ValueError, match=r"roc_curve: expected scores with 1 dimensions"):
        metrics.roc_curve(jnp.zeros((3, 2)), jnp.zeros((3, 2)))
