r"""Data augmentation as pure, key-driven functions ``augment(key, X) -> X`` on a minibatch.

They run inside the jitted epoch (``fnn.train.make_train_epoch(augment=...)``): every
minibatch gets fresh randomness from the epoch key, nothing leaves the device. Images
travel flattened, as (N, H * W * C) rows; ``image_shape`` = (H, W) or (H, W, C) says how
to read them. A horizontal flip changes a digit's class: use it where mirror images share
a label (clothes, objects), not for digits.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from fnn.util import validate


def _images(where: str, X, image_shape):
    if len(image_shape) not in (2, 3) or X.shape[-1] != math.prod(image_shape):
        raise ValueError(
            f"{where}: expected rows of {math.prod(image_shape)} values for image_shape {tuple(image_shape)}, "
            f"got X.shape={X.shape}"
        )
    shape = tuple(image_shape) if len(image_shape) == 3 else (*image_shape, 1)
    return X.reshape(X.shape[0], *shape)


def gaussian_noise(std: float):
    """x + std * N(0, I), independently per entry."""
    validate.number_in("gaussian_noise", "std", std, 0.0)
    return lambda key, X: X + std * jax.random.normal(key, X.shape, X.dtype)


def horizontal_flip(image_shape, probability: float = 0.5):
    """Mirror each image left to right with the given probability."""
    validate.number_in("horizontal_flip", "probability", probability, 0.0, 1.0)

    def augment(key, X):
        images = _images("horizontal_flip", X, image_shape)
        flip = jax.random.bernoulli(key, probability, (X.shape[0], 1, 1, 1))
        return jnp.where(flip, images[:, :, ::-1, :], images).reshape(X.shape)

    return augment


def random_shift(image_shape, max_shift: int = 1):
    """Translate each image by (dy, dx), each uniform in [-max_shift, max_shift], filling with zeros.

    ``max_shift`` is at most (min(H, W) - 1) // 2, so every shifted image keeps more than half of
    its rows and columns (a larger shift would blank most images: 8x8 digits allow 3 pixels)."""
    largest = (min(image_shape[:2]) - 1) // 2
    max_shift = validate.integer("random_shift", "max_shift", max_shift, 0, largest)

    def augment(key, X):
        images = _images("random_shift", X, image_shape)
        s = max_shift
        padded = jnp.pad(images, ((0, 0), (s, s), (s, s), (0, 0)))
        offsets = jax.random.randint(key, (X.shape[0], 2), 0, 2 * s + 1)
        H, W, C = images.shape[1:]
        crop = jax.vmap(lambda image, o: jax.lax.dynamic_slice(image, (o[0], o[1], 0), (H, W, C)))
        return crop(padded, offsets).reshape(X.shape)

    return augment


def compose(*augmenters):
    """Apply the augmenters in order, each with its own subkey."""

    def augment(key, X):
        for k, f in zip(jax.random.split(key, len(augmenters)), augmenters):
            X = f(k, X)
        return X

    return augment
