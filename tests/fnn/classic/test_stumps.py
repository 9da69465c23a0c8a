"""Stumps against a brute-force search in NumPy and against scikit-learn's depth-1 trees.

scikit-learn's trees cast X to float32, so the data are drawn in float32 and compared in float64.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from fnn.classic import stumps

fit_regression = jax.jit(stumps.fit_regression)  # one compilation per shape, shared by the tests
fit_classifier = jax.jit(stumps.fit_classifier, static_argnames="criterion")


def data(seed, n=40, d=3):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, d)).astype(np.float32).astype(np.float64)
    X[:, 1] = np.round(X[:, 1] * 4) / 4  # a feature with repeated values
    r = np.sin(3 * X[:, 0]) + X[:, 1] + 0.3 * rng.normal(size=n)
    return X, r, rng.uniform(0.1, 1.0, n)


def brute_force(X, w, loss):
    """(feature, threshold) of least ``loss(goes_left)`` over every midpoint of every feature, first wins."""
    best = (np.inf, None)
    for j in range(X.shape[1]):
        values = np.unique(X[:, j])
        for t in values[:-1] / 2 + values[1:] / 2:
            value = loss(X[:, j] <= t)
            if value < best[0] - 1e-12:
                best = (value, (j, t))
    return best[1]


def squared_error(r, w):
    def loss(left):
        return sum(np.sum(w[s] * (r[s] - np.average(r[s], weights=w[s])) ** 2) for s in (left, ~left))
    return loss


@pytest.mark.parametrize("seed", range(3))
def test_regression_stump_is_the_split_of_least_weighted_squared_error(seed):
    X, r, w = data(seed)
    stump = fit_regression(jnp.asarray(X), jnp.asarray(r), jnp.asarray(w))
    j, t = brute_force(X, w, squared_error(r, w))
    assert int(stump.feature) == j and float(stump.threshold) == t
    left = X[:, j] <= t
    np.testing.assert_allclose([stump.left, stump.right],
                               [np.average(r[left], weights=w[left]), np.average(r[~left], weights=w[~left])],
                               rtol=1e-13)


@pytest.mark.parametrize("seed", range(3))
def test_regression_stump_equals_sklearns_depth_1_tree_with_zero_weights(seed):
    # Rows of weight 0 (out of the bag) still mark thresholds in both: a threshold may fall
    # between an in-bag and an out-of-bag value, and the two trees agree on it.
    X, r, w = data(seed)
    w = np.where(np.random.default_rng(seed).uniform(size=w.shape) < 0.5, 0.0, 1.0)
    tree = DecisionTreeRegressor(max_depth=1, random_state=0).fit(X, r, sample_weight=w).tree_
    stump = fit_regression(jnp.asarray(X), jnp.asarray(r), jnp.asarray(w))
    assert int(stump.feature) == tree.feature[0] and float(stump.threshold) == tree.threshold[0]
    np.testing.assert_allclose([stump.left, stump.right], tree.value[1:, 0, 0], rtol=1e-13)
    expected = tree.predict(X.astype(np.float32))[:, 0]
    np.testing.assert_allclose(stumps.predict(stump, jnp.asarray(X)), expected, rtol=1e-13)


def test_newton_leaves_divide_by_the_weighted_hessian():
    X, r, w = data(0)
    h = np.random.default_rng(1).uniform(0.05, 0.25, r.shape)
    mean = fit_regression(jnp.asarray(X), jnp.asarray(r), jnp.asarray(w))
    newton = fit_regression(jnp.asarray(X), jnp.asarray(r), jnp.asarray(w), hessian=jnp.asarray(h))
    assert int(newton.feature) == int(mean.feature) and float(newton.threshold) == float(mean.threshold)
    left = X[:, int(mean.feature)] <= float(mean.threshold)
    expected = [np.sum((w * r)[s]) / np.sum((w * h)[s]) for s in (left, ~left)]
    np.testing.assert_allclose([newton.left, newton.right], expected, rtol=1e-13)


@pytest.mark.parametrize("seed", range(3))
def test_classifier_stump_minimises_the_weighted_error(seed):
    X, r, w = data(seed)
    y = np.where(r > 0, 1, -1)
    stump = fit_classifier(jnp.asarray(X), jnp.asarray(y), jnp.asarray(w))

    def error(left):
        return sum(min(np.sum(w[s & (y > 0)]), np.sum(w[s & (y < 0)])) for s in (left, ~left))

    j, t = brute_force(X, w, error)
    assert int(stump.feature) == j and float(stump.threshold) == t
    prediction = np.asarray(stumps.predict(stump, jnp.asarray(X)))
    np.testing.assert_allclose(np.sum(w[prediction != y]), error(X[:, j] <= t), rtol=1e-13)


@pytest.mark.parametrize("seed", range(3))
def test_gini_stump_equals_sklearns_depth_1_classifier(seed):
    X, r, w = data(seed)
    y = np.where(r > 0, 1, -1)
    tree = DecisionTreeClassifier(max_depth=1, random_state=0).fit(X, y, sample_weight=w)
    stump = fit_classifier(jnp.asarray(X), jnp.asarray(y), jnp.asarray(w), criterion="gini")
    assert int(stump.feature) == tree.tree_.feature[0] and float(stump.threshold) == tree.tree_.threshold[0]
    np.testing.assert_array_equal(stumps.predict(stump, jnp.asarray(X)), tree.predict(X.astype(np.float32)))


def test_no_split_on_constant_features_predicts_the_weighted_mean():
    X, r, w = data(0)
    X = np.ones_like(X)
    stump = fit_regression(jnp.asarray(X), jnp.asarray(r), jnp.asarray(w))
    assert float(stump.threshold) == np.inf
    np.testing.assert_allclose([stump.left, stump.right], [np.average(r, weights=w)] * 2, rtol=1e-13)
    np.testing.assert_allclose(stumps.predict(stump, jnp.asarray(X)), np.average(r, weights=w), rtol=1e-13)


def test_bad_arguments_are_named():
    X = jnp.zeros((4, 2))
    with pytest.raises(ValueError, match=r"stumps.fit_regression: expected w of shape \(4,\) \(one per row of X\), "
                                         r"got w.shape=\(3,\)"):
        stumps.fit_regression(X, jnp.zeros(4), jnp.ones(3))
    with pytest.raises(ValueError, match="stumps.fit_regression: expected at least 2 rows in X"):
        stumps.fit_regression(jnp.zeros((1, 2)), jnp.zeros(1))
    with pytest.raises(ValueError, match="stumps.fit_classifier: unknown criterion 'entropy'; expected one of error"):
        stumps.fit_classifier(X, jnp.ones(4), jnp.ones(4), criterion="entropy")
    with pytest.raises(TypeError, match="stumps.fit_regression: expected X with a floating dtype"):
        stumps.fit_regression(jnp.zeros((4, 2), jnp.int32), jnp.zeros(4))
