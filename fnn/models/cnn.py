r"""Convolutional network builder: flat rows reshaped to images, convolution blocks, a dense head.

Math (block b = 1..B, A_0 = the sample as an image (spatial..., C)):
    Z_b = conv(A_{b-1}, W_b) + b_b     (``kernel``, ``stride``, ``padding``)
    A_b = pool(g(Z_b))                 (max-pooling over ``pool`` x ``pool`` windows, if set)
    logits = dense head on flatten(A_B) (hidden widths, then the output layer)
``cnn(...)`` returns an ``fnn.layers.Sequential``, so the generic backprop, the receptive
field table and every tool that takes a model work on it. ``PRESETS`` holds the networks
of ``fnn train --model cnn`` per data set: a small LeNet-like net for the 8x8 digits and
MNIST, and the MNIST-1D paper's 1-D CNN (three convolutions of 25 channels, stride 2).
"""

from __future__ import annotations

import math

from fnn.layers import Activation, Conv, Dense, Flatten, Reshape, Sequential
from fnn.layers.pool import MaxPool
from fnn.util import validate

PRESETS = {
    "image": dict(channels=(32, 64), kernel=3, stride=1, padding="same", pool=2),
    "mnist1d": dict(channels=(25, 25, 25), kernel=(5, 3, 3), stride=2, padding=1, pool=None),
}
"""The convolution blocks of ``fnn train --model cnn``: images, and MNIST-1D's sequences."""


def cnn(image_shape, outputs: int, *, channels=(16, 32), kernel=3, stride=1, padding="same", pool: int | None = 2,
        hidden=(), activation: str = "relu", initializer: str = "he_normal") -> Sequential:
    """Build a CNN on flat rows of ``prod(image_shape)`` values.

    Args:
        image_shape: one sample as an image, (H, W, C) or (W, C).
        outputs: width of the output layer.
        channels: output channels of each convolution block.
        kernel: the kernel size (an int for every block, or one per block).
        stride, padding: of every convolution (see ``fnn.layers.Conv``).
        pool: max-pooling window (and stride) after each block, None for none.
        hidden: widths of the dense layers between the last block and the output.
        activation: g, a name from ``fnn.activations.ELEMENTWISE``.
        initializer: of every convolution and dense layer.
    """
    image_shape = tuple(validate.integer("cnn", "image_shape", n) for n in image_shape)
    kernels = tuple(kernel) if isinstance(kernel, (tuple, list)) else (kernel,) * len(channels)
    if len(kernels) != len(channels):
        raise ValueError(f"cnn: expected one kernel per block ({len(channels)}), got {kernel!r}")
    layers = [Reshape(image_shape)]
    for width, size in zip(channels, kernels):
        layers += [Conv(width, size, stride=stride, padding=padding, initializer=initializer), Activation(activation)]
        if pool is not None:
            layers.append(MaxPool(pool))
    layers.append(Flatten())
    for width in hidden:
        layers += [Dense(width, initializer), Activation(activation)]
    return Sequential(*layers, Dense(outputs, initializer))


def describe(image_shape, channels, kernel, pool) -> str:
    """A one-line name like ``CNN 8x8x1 conv32k3-pool-conv64k3-pool (64 inputs)``."""
    kernels = kernel if isinstance(kernel, (tuple, list)) else (kernel,) * len(channels)
    blocks = "-".join(f"conv{c}k{k}" + ("-pool" if pool else "") for c, k in zip(channels, kernels))
    return f"CNN {'x'.join(map(str, image_shape))} {blocks} ({math.prod(image_shape)} inputs)"
