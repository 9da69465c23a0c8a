import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn.classic import MLPLearner, boosting
from fnn.layers import Sequential


def test_a_small_mlp_as_weak_learner_of_log_loss_boosting():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (120, 2))
    labels = (X[:, 0] * X[:, 1] > 0).astype(np.float64)  # XOR of the signs: no single stump separates it
    learner = MLPLearner(hidden=(8,), steps=60, learning_rate=0.05)
    fit = jax.jit(functools.partial(boosting.fit, loss="log", learner=learner, rounds=4, learning_rate=1.0))
    model = fit(jnp.asarray(X), jnp.asarray(labels), key=jax.random.key(0))
    p0 = np.mean(labels)
    initial = -(p0 * np.log(p0) + (1 - p0) * np.log(1 - p0))  # the log-loss of F_0
    assert np.all(np.diff(np.asarray(model.losses)) < 0) and float(model.losses[-1]) < 0.6 * initial
    F = boosting.decision(learner, model, jnp.asarray(X))
    np.testing.assert_allclose(np.mean(np.logaddexp(0, F) - F * labels), model.losses[-1], rtol=1e-12)
    assert np.mean((np.asarray(F) > 0) == labels) > 0.9
    assert isinstance(learner.model(), Sequential)


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match="MLPLearner: expected steps to be a positive int, got 0"):
        MLPLearner(steps=0)
    with pytest.raises(ValueError, match="MLPLearner: expected hidden widths to be a positive int, got -1"):
        MLPLearner(hidden=(-1,))
    with pytest.raises(ValueError, match=r"MLPLearner: expected learning_rate in \(0, inf], got 0.0"):
        MLPLearner(learning_rate=0.0)
