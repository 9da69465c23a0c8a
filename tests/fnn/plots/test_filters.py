import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn.layers import Dense, Sequential
from fnn.layers import conv as fc
from fnn.models import cnn
from fnn.plots import filters
from fnn.util import random_draws


@pytest.mark.parametrize("image_shape, preset", [((8, 8, 1), "image"), ((40, 1), "mnist1d")])
def test_the_first_feature_maps_are_the_first_convolution_after_its_activation(image_shape, preset, key, tmp_path):
    model = cnn.cnn(image_shape, 10, **cnn.PRESETS[preset])
    flat = int(np.prod(image_shape))
    params = model.init(key, (flat,), dtype=jnp.float64)[1]
    x = random_draws.normal(key, (flat,), jnp.float64)
    W, b = params[1].W, params[1].b
    _, stride, dilation, pads = model.layers[1].geometry(image_shape)
    expected = jax.nn.relu(fc.conv(x.reshape(1, *image_shape), W, b, stride=stride, padding=pads, dilation=dilation))[0]
    maps = filters.first_feature_maps(model, params, (), x)
    np.testing.assert_allclose(maps, expected, rtol=1e-12)
    assert filters.plot_filters(model, params, tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"
    path = filters.plot_feature_maps(model, params, (), x, image_shape, tmp_path / "m.png")
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_a_model_without_convolution_is_named():
    with pytest.raises(ValueError, match=r"filters: expected a Sequential with a Conv layer, got Sequential"):
        filters.first_conv(Sequential(Dense(3)))
