import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn.layers import Activation, Conv, ConvTranspose, Dense, Flatten, Sequential, Unpooled
from fnn.models import cnn
from fnn.layers.receptive import receptive_fields
from fnn.util import random_draws

MODELS = [
    (Sequential(Conv(3, 3, padding="same"), Activation("tanh"), Conv(3, 3, stride=2, padding=1), Activation("tanh"),
                Conv(2, 2, dilation=2), Flatten(), Dense(2)), (16, 15, 1)),
    (Sequential(Conv(3, 5, stride=2, padding=1), Activation("tanh"), Dense(4), Conv(3, 3, stride=2, padding=1),
                Conv(3, 3, stride=2, padding=1)), (40, 1)),
]


def measured(model, in_shape, position, key):
    """The inputs with a non-zero dY/dX for output unit ``position`` (channel 0): their extent and centre."""
    _, params, _ = model.init(key, in_shape, dtype=jnp.float64)
    X = random_draws.normal(jax.random.fold_in(key, 1), (1, *in_shape), jnp.float64)
    unit = lambda x: model.apply(params, (), x, train=False)[0][(0, *position, 0)]  # noqa: E731
    reached = np.argwhere(np.abs(np.asarray(jax.jit(jax.grad(unit))(X))[0]).sum(axis=-1) > 0)
    low, high = reached.min(axis=0), reached.max(axis=0)
    return tuple(high - low + 1), tuple((high + low) / 2)


@pytest.mark.parametrize("model, in_shape", MODELS)
def test_the_recurrences_give_the_measured_receptive_field(model, in_shape, key):
    rows = receptive_fields(model, in_shape)
    windows = [i for i, layer in enumerate(model.layers) if isinstance(layer, Conv)]
    assert len(rows) == len(windows)
    for row, last in zip(rows, windows):
        prefix = Sequential(*model.layers[:last + 1])
        position = tuple(n // 2 for n in row.size)  # an interior unit: its field is not cut by the border
        extent, centre = measured(prefix, in_shape, position, key)
        assert extent == row.field
        assert centre == tuple(c + p * j for c, p, j in zip(row.start, position, row.jump))
        assert prefix.init(key, in_shape, dtype=jnp.float32)[0][:-1] == row.size


def test_up_sampling_is_not_covered(key):
    with pytest.raises(ValueError, match=r"receptive_fields: expected a down-sampling model, got ConvTranspose"):
        receptive_fields(Sequential(Conv(2, 3), ConvTranspose(2, 2, stride=2)), (8, 8, 1))
    with pytest.raises(ValueError, match=r"receptive_fields: expected a down-sampling model, got Unpooled"):
        receptive_fields(Sequential(Conv(2, 3), Unpooled(Sequential(Conv(2, 1)), 2)), (8, 8, 1))


def test_the_digits_cnn_table_starts_at_its_images(key):
    rows = receptive_fields(cnn.cnn((8, 8, 1), 10, channels=(4, 4)), (64,))
    assert [(r.layer, r.size, r.field, r.jump) for r in rows] == [
        ("Conv", (8, 8), (3, 3), (1, 1)), ("MaxPool", (4, 4), (4, 4), (2, 2)),
        ("Conv", (4, 4), (8, 8), (2, 2)), ("MaxPool", (2, 2), (10, 10), (4, 4))]
