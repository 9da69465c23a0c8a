import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor

from fnn.classic import MLPLearner, StumpLearner, boosting

ROUNDS, RATE = 40, 0.3


def data(seed=0, n=120, d=3):
    """Inputs drawn in float32 (scikit-learn's trees cast X to float32), used in float64."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, d)).astype(np.float32).astype(np.float64)
    y = np.sin(3 * X[:, 0]) + X[:, 1] ** 2 + 0.2 * rng.normal(size=n)
    return X, y, (y > np.median(y)).astype(np.float64)


@functools.cache
def fitted(loss, newton):
    """Our model and scikit-learn's on the same data (classification only with the Newton leaves)."""
    X, y, labels = data()
    target = y if loss == "squared" else labels
    fit = jax.jit(functools.partial(boosting.fit, loss=loss, rounds=ROUNDS, learning_rate=RATE, newton=newton))
    model = fit(jnp.asarray(X), jnp.asarray(target))
    if loss == "squared":
        peer = GradientBoostingRegressor(loss="squared_error", max_depth=1, learning_rate=RATE, n_estimators=ROUNDS,
                                         subsample=1.0, init=DummyRegressor(strategy="mean"), random_state=0)
    else:
        peer = GradientBoostingClassifier(loss="log_loss", max_depth=1, learning_rate=RATE, n_estimators=ROUNDS,
                                          subsample=1.0, init=DummyClassifier(strategy="prior"), random_state=0)
    return X, target, model, peer.fit(X, target)


def splits(peer):
    trees = [stage[0].tree_ for stage in peer.estimators_]
    return np.array([t.feature[0] for t in trees]), np.array([t.threshold[0] for t in trees])


def test_squared_loss_equals_sklearns_gradient_boosting_round_by_round():
    """Mapping to ``GradientBoostingRegressor(loss="squared_error", max_depth=1)``:

    - F_0: its ``init=DummyRegressor(strategy="mean")`` (the default) is our mean(y);
    - each round it fits ``DecisionTreeRegressor(criterion="squared_error", max_depth=1)`` to
      its negative gradient of (y - F)^2 / 2, our residual y - F, on float32 X with thresholds
      at midpoints (x_(i) + x_(i+1)) / 2: our stump; no line search for this loss (leaf = mean);
    - ``train_score_[t]`` is twice its half squared error: our mean squared error;
    - ``random_state`` only orders the features for tied splits, which continuous data do not have.
    """
    X, y, model, peer = fitted("squared", False)
    np.testing.assert_allclose(model.losses, peer.train_score_, rtol=1e-12)
    staged = jax.jit(boosting.staged_decision, static_argnums=0)
    np.testing.assert_allclose(staged(StumpLearner(), model, jnp.asarray(X)),
                               np.array(list(peer.staged_predict(X))), rtol=1e-12, atol=1e-12)
    features, thresholds = splits(peer)
    np.testing.assert_array_equal(model.params.feature, features)
    np.testing.assert_array_equal(model.params.threshold, thresholds)
    np.testing.assert_allclose(boosting.decision(StumpLearner(), model, jnp.asarray(X)), peer.predict(X), rtol=1e-12)
    np.testing.assert_allclose(model.init, np.mean(y), rtol=1e-15)


def test_log_loss_with_newton_leaves_equals_sklearns_classifier():
    """``GradientBoostingClassifier(loss="log_loss", max_depth=1)`` fits the tree to y - p (the
    antigradient) and then sets each leaf to one Newton step, sum (y - p) / sum p (1 - p):
    our ``newton=True``. F_0 is the log-odds of mean(y) (``DummyClassifier("prior")``) and its
    ``train_score_`` is the binomial deviance, twice our mean log-loss."""
    X, labels, model, peer = fitted("log", True)
    np.testing.assert_allclose(2 * model.losses, peer.train_score_, rtol=1e-12)
    np.testing.assert_allclose(boosting.staged_decision(StumpLearner(), model, jnp.asarray(X)),
                               np.array(list(peer.staged_decision_function(X)))[..., 0], rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(model.params.feature, splits(peer)[0])


def test_log_loss_with_antigradient_leaves_differs_from_sklearn_by_the_hessian():
    # The lecture's rule fits the stump to r = y - p and keeps the leaf means. The split is
    # chosen on r alone, so round 1 splits as scikit-learn does; there p = p0 on every row,
    # and scikit-learn's Newton leaf sum r / sum p0 (1 - p0) is our leaf mean / (p0 (1 - p0)).
    # From round 2 on p varies, the models part, and each loses less with its own rule.
    X, labels, newton, peer = fitted("log", True)
    _, _, lecture, _ = fitted("log", False)
    p0 = np.mean(labels)
    first = jax.tree.map(lambda leaf: leaf[0], lecture.params)
    tree = peer.estimators_[0, 0].tree_
    assert int(first.feature) == tree.feature[0] and float(first.threshold) == tree.threshold[0]
    np.testing.assert_allclose(np.array([first.left, first.right]) / (p0 * (1 - p0)), tree.value[1:, 0, 0], rtol=1e-12)
    assert np.all(np.diff(np.asarray(lecture.losses)) <= 0)  # nu = 0.3 < 8: each gradient step lowers the log-loss
    assert float(lecture.losses[-1]) > float(newton.losses[-1])  # smaller steps: the Newton leaves go further


def test_subsampling_draws_rows_without_replacement_and_still_learns():
    mask = boosting.in_bag(jax.random.key(3), 10, 4, jnp.float64)
    assert float(jnp.sum(mask)) == 4 and set(np.asarray(mask).tolist()) == {0.0, 1.0}
    np.testing.assert_array_equal(boosting.in_bag(None, 10, 10, jnp.float64), np.ones(10))
    X, y, _ = data()
    fit = jax.jit(functools.partial(boosting.fit, rounds=ROUNDS, learning_rate=RATE, subsample=0.5))
    first, again, other = (fit(jnp.asarray(X), jnp.asarray(y), key=jax.random.key(k)) for k in (0, 0, 1))
    np.testing.assert_array_equal(first.losses, again.losses)  # the key decides the bags
    assert not np.array_equal(first.losses, other.losses)
    assert float(first.losses[-1]) < 0.5 * np.var(y)


def test_bad_arguments_are_named():
    X, y, labels = (jnp.asarray(a) for a in data(n=8))
    with pytest.raises(ValueError, match="boosting.fit: unknown loss 'hinge'; expected one of log, squared"):
        boosting.fit(X, y, loss="hinge")
    with pytest.raises(ValueError, match=r"boosting.fit: expected labels in \{0, 1\} for loss 'log'"):
        boosting.fit(X, 2 * labels - 1, loss="log")
    with pytest.raises(ValueError, match="boosting.fit: expected a PRNG key .* got key=None"):
        boosting.fit(X, y, subsample=0.5)
    with pytest.raises(ValueError, match="boosting.fit: expected newton=False with MLPLearner"):
        boosting.fit(X, y, learner=MLPLearner(), newton=True, key=jax.random.key(0))
    with pytest.raises(ValueError, match=r"boosting.fit: expected subsample in \(0, 1\], got 1.5"):
        boosting.fit(X, y, subsample=1.5)
    with pytest.raises(TypeError, match="boosting.fit: expected a weak learner with fit and predict"):
        boosting.fit(X, y, learner="stump")
    with pytest.raises(ValueError, match=r"boosting.fit: expected y of shape \(8,\)"):
        boosting.fit(X, y[:4])
