import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn import optim
from fnn.data import augment
from fnn.models import mlp
from fnn.fit import fit
from fnn.objective import Objective
from fnn.util import random_draws

IMAGE = (3, 4)


def images(key, n=6):
    return random_draws.normal(key, (n, 12))


def test_noise_has_the_stated_spread_and_depends_on_the_key(key):
    X = jnp.zeros((200, 500))
    noisy = jax.jit(augment.gaussian_noise(0.3))(key, X)
    np.testing.assert_allclose(np.std(noisy), 0.3, rtol=0.01)
    assert not np.allclose(noisy, augment.gaussian_noise(0.3)(jax.random.fold_in(key, 1), X))


def test_flip_mirrors_each_image_or_leaves_it(key):
    X = images(key)
    out = np.asarray(jax.jit(augment.horizontal_flip(IMAGE, 0.5))(key, X)).reshape(-1, 3, 4)
    original = np.asarray(X).reshape(-1, 3, 4)
    flipped = [np.array_equal(o, x[:, ::-1]) for o, x in zip(out, original)]
    kept = [np.array_equal(o, x) for o, x in zip(out, original)]
    assert all(f or k for f, k in zip(flipped, kept)) and any(flipped) and any(kept)
    np.testing.assert_array_equal(augment.horizontal_flip(IMAGE, 1.0)(key, X).reshape(-1, 3, 4), original[:, :, ::-1])


def test_shift_moves_pixels_and_fills_with_zeros(key):
    X = jnp.arange(1.0, 13.0)[None, :].repeat(50, axis=0)
    out = np.asarray(jax.jit(augment.random_shift(IMAGE, 1))(key, X)).reshape(-1, 3, 4)
    image = np.arange(1.0, 13.0).reshape(3, 4)
    for o in out:  # each output is the image shifted by some (dy, dx) in {-1, 0, 1}^2, zero-filled
        candidates = []
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                shifted = np.zeros_like(image)
                shifted[max(dy, 0):3 + min(dy, 0), max(dx, 0):4 + min(dx, 0)] = image[max(-dy, 0):3 - max(dy, 0), max(-dx, 0):4 - max(dx, 0)]
                candidates.append(np.array_equal(o, shifted))
        assert any(candidates)
    assert len({o.tobytes() for o in out}) > 3


def test_augmentation_runs_inside_the_jitted_epoch(key):
    config = mlp.mlp((8,), 2, activation="tanh")
    X, y = images(key, 40), (jnp.arange(40) % 2).astype(jnp.int32)
    params = config.init(key, (12,), dtype=jnp.float64)[1]
    aug = augment.compose(augment.random_shift(IMAGE, 1), augment.gaussian_noise(0.1))
    plain = fit(Objective(config), optim.sgd(0.1), params, (X, y), epochs=2, batch_size=10, key=key)
    augmented = fit(Objective(config), optim.sgd(0.1), params, (X, y), epochs=2, batch_size=10, key=key, augment=aug)
    assert not np.allclose(plain.state.params[0].W, augmented.state.params[0].W)
    again = fit(Objective(config), optim.sgd(0.1), params, (X, y), epochs=2, batch_size=10, key=key, augment=aug)
    np.testing.assert_array_equal(again.state.params[0].W, augmented.state.params[0].W)


def test_bad_input(key):
    with pytest.raises(ValueError, match=r"horizontal_flip: expected rows of 12 values for image_shape \(3, 4\), got X.shape=\(2, 10\)"):
        augment.horizontal_flip(IMAGE)(key, jnp.ones((2, 10)))
    with pytest.raises(ValueError, match=r"gaussian_noise: expected std in \[0, inf\], got -1"):
        augment.gaussian_noise(-1)
    with pytest.raises(ValueError, match=r"random_shift: expected max_shift to be an int in \[0, 1\], got 0.5"):
        augment.random_shift(IMAGE, 0.5)
    with pytest.raises(ValueError, match=r"random_shift: expected max_shift to be an int in \[0, 3\], got 4"):
        augment.random_shift((8, 8), 4)  # a 4-pixel shift leaves most 8x8 digits half blank or empty
