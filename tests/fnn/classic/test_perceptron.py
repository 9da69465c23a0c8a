import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn.classic import perceptron

N = 60
MAX_EPOCHS = 1000
train = jax.jit(functools.partial(perceptron.fit, max_epochs=MAX_EPOCHS))


def separable(seed, n=N, d=3, margin=0.1):
    """n points of [-1, 1]^d labelled by a random hyperplane, none closer than ``margin`` to it.

    The hyperplane is u~ = (u, b), a unit vector of the augmented space, so y u~ . x~ >= margin.
    """
    rng = np.random.default_rng(seed)
    normal = rng.normal(size=d)
    u = np.append(normal / np.linalg.norm(normal), rng.uniform(-0.3, 0.3))  # a plane through the cube
    u /= np.linalg.norm(u)
    X = rng.uniform(-1, 1, (50 * n, d))
    s = np.asarray(perceptron.augment(jnp.asarray(X))) @ u
    keep = np.abs(s) >= margin
    assert keep.sum() >= n and len(set(np.sign(s[keep][:n]))) == 2
    return X[keep][:n], np.sign(s[keep][:n]).astype(np.int32), u


def test_one_epoch_by_hand():
    # w~ = 0: x~_1 = (1, 0, 1) scores 0, a mistake: w~ = (1, 0, 1); x~_2 = (0, 1, 1) scores 1 with
    # y = -1, a mistake: w~ = (1, -1, 0). The second epoch makes none.
    result = perceptron.fit(jnp.array([[1.0, 0.0], [0.0, 1.0]]), jnp.array([1, -1]), max_epochs=5)
    np.testing.assert_array_equal(result.w, [1.0, -1.0, 0.0])
    assert int(result.mistakes) == 2 and int(result.epochs) == 2 and bool(result.converged)
    np.testing.assert_array_equal(result.epoch_mistakes, [2, 0, 0, 0, 0])
    np.testing.assert_array_equal(perceptron.score(result.w, jnp.array([[2.0, 3.0]])), [2.0 - 3.0])


@pytest.mark.parametrize("seed", range(5))
def test_mistakes_within_novikoffs_bound_on_separable_data(seed):
    X, y, u = separable(seed)
    Xa = np.asarray(perceptron.augment(jnp.asarray(X)))
    gamma = np.min(y * (Xa @ u))                    # the margin of the unit separator u~, bias included
    R = np.max(np.linalg.norm(Xa, axis=1))          # radius of the augmented inputs (x, 1)
    result = train(jnp.asarray(X), jnp.asarray(y))
    assert bool(result.converged) and int(result.epoch_mistakes[result.epochs - 1]) == 0
    assert 0 < int(result.mistakes) <= (R / gamma) ** 2
    np.testing.assert_array_equal(jax.jit(perceptron.predict)(result.w, jnp.asarray(X)), y)


def test_never_converges_on_xor():
    X = jnp.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = jnp.array([-1, 1, 1, -1])
    result = perceptron.fit(X, y, max_epochs=MAX_EPOCHS)
    assert not bool(result.converged) and int(result.epochs) == MAX_EPOCHS
    assert np.all(np.asarray(result.epoch_mistakes) >= 1)  # every one of the 1000 epochs has a mistake
    assert np.any(np.asarray(perceptron.predict(result.w, X)) != np.asarray(y))


def test_bad_arguments_are_named():
    X = jnp.zeros((3, 2))
    with pytest.raises(ValueError, match=r"perceptron.fit: expected labels in \{-1, \+1\}, got values \[0, 1\]"):
        perceptron.fit(X, jnp.array([0, 1, 1]))
    with pytest.raises(ValueError, match=r"perceptron.fit: expected as many labels as rows of X \(3\)"):
        perceptron.fit(X, jnp.array([1, -1]))
    with pytest.raises(ValueError, match="perceptron.fit: expected X with 2 dimensions"):
        perceptron.fit(jnp.zeros(3), jnp.array([1, -1, 1]))
    with pytest.raises(ValueError, match="perceptron.fit: expected max_epochs to be a positive int, got 0"):
        perceptron.fit(X, jnp.array([1, -1, 1]), max_epochs=0)
    with pytest.raises(ValueError, match=r"perceptron.score: expected w of shape \(3,\)"):
        perceptron.score(jnp.zeros(2), X)
