r"""The receptive field of every layer of a model: the lecture's recurrences.

Per spatial axis, for a window layer (convolution or pooling) with kernel k, stride s,
dilation d and padding p_lo after a layer with jump j, receptive field r and start c:
    k' = d (k - 1) + 1
    n_out = floor((n + p_lo + p_hi - k') / s) + 1
    j_out = j s                         (input positions between neighbouring outputs)
    r_out = r + (k' - 1) j              (input positions one output depends on)
    c_out = c + ((k' - 1) / 2 - p_lo) j (centre of the first output's field; input 0 at 0)
starting from n = the input size, j = 1, r = 1, c = 0. Layers acting on each position
alone (dense over channels, activations, batch norm, dropout) change nothing. The table
ends at the first layer that mixes every position (flatten, global pooling); up-sampling
layers (transposed convolution, unpooling) are not covered.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from fnn.layers import conv as fc
from fnn.layers.base import Sequential, Wrapper, leaves
from fnn.layers.flatten import Flatten, Reshape
from fnn.layers.unpool import NearestUnpool, Unpooled


class Field(NamedTuple):
    """A layer's output size, receptive field, jump and start, one entry per spatial axis."""

    layer: str
    size: tuple
    field: tuple
    jump: tuple
    start: tuple


def _holds(model, kind) -> bool:
    """True when ``model`` or a layer inside it is a ``kind``."""
    inner = model.layers if isinstance(model, Sequential) else (model.body,) if isinstance(model, Wrapper) else ()
    return isinstance(model, kind) or any(_holds(layer, kind) for layer in inner)


def receptive_fields(model, in_shape) -> list[Field]:
    """One ``Field`` per window layer of ``model`` (a sample shape (spatial..., C), or flat rows
    when the model starts with a ``Reshape``), in order.

    Window layers are those with a ``geometry(in_shape) -> (kernel, stride, dilation, pads)``
    method (``Conv``, the pooling layers); the sample shape follows every layer's ``init``.

    Raises:
        ValueError: for an up-sampling layer, which the recurrences do not cover.
    """
    if _holds(model, Unpooled):
        raise ValueError("receptive_fields: expected a down-sampling model, got Unpooled")
    layers = leaves(model)
    if layers and isinstance(layers[0], Reshape):  # flat rows made images: the geometry starts there
        in_shape, layers = layers[0].shape, layers[1:]
    fc.check_input("receptive_fields", in_shape)
    shape, rows = tuple(in_shape), []
    size, jump, field, start = list(shape[:-1]), [1] * (len(shape) - 1), [1] * (len(shape) - 1), [0.0] * (len(shape) - 1)
    for layer in layers:
        if isinstance(layer, (fc.ConvTranspose, NearestUnpool)):
            raise ValueError(f"receptive_fields: expected a down-sampling model, got {type(layer).__name__}")
        if isinstance(layer, Flatten) or len(shape) < 2:
            break
        if hasattr(layer, "geometry"):
            kernel, stride, dilation, pads = layer.geometry(shape)
            for axis, (k, s, d, (lo, hi)) in enumerate(zip(kernel, stride, dilation, pads)):
                spread = d * (k - 1) + 1
                start[axis] += ((spread - 1) / 2 - lo) * jump[axis]
                field[axis] += (spread - 1) * jump[axis]
                size[axis] = (size[axis] + lo + hi - spread) // s + 1
                jump[axis] *= s
            rows.append(Field(type(layer).__name__, tuple(size), tuple(field), tuple(jump), tuple(start)))
        shape = tuple(layer.init(jax.random.key(0), shape, dtype=jnp.float32)[0])
    return rows
