import jax.numpy as jnp
import pytest

from fnn.layers import Conv
from fnn.models import cnn


def test_the_presets_build_the_digits_and_mnist1d_networks(key):
    digits = cnn.cnn((8, 8, 1), 10, **cnn.PRESETS["image"], hidden=(128,))
    assert digits.init(key, (64,), dtype=jnp.float32)[0] == (10,)
    assert [type(layer).__name__ for layer in digits.layers] == [
        "Reshape", "Conv", "Activation", "MaxPool", "Conv", "Activation", "MaxPool", "Flatten", "Dense", "Activation",
        "Dense"]
    sequence = cnn.cnn((40, 1), 10, **cnn.PRESETS["mnist1d"])
    shapes, shape = [], (40,)
    for layer in sequence.layers:
        shape = layer.init(key, shape, dtype=jnp.float32)[0]
        shapes.append(shape)
    assert [s for s, layer in zip(shapes, sequence.layers) if isinstance(layer, Conv)] == [(19, 25), (10, 25), (5, 25)]
    assert shapes[-1] == (10,)


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match=r"cnn: expected one kernel per block \(2\), got \(3, 3, 3\)"):
        cnn.cnn((8, 8, 1), 10, channels=(4, 4), kernel=(3, 3, 3))
    with pytest.raises(ValueError, match=r"cnn: expected image_shape to be a positive int, got 0"):
        cnn.cnn((8, 0, 1), 10)
