r"""Convolutional autoencoder: an encoder of convolutions and max-pooling, a decoder back up.

Math (levels b = 1..B with channels c_b, c_0 = the image's channels, pooling by p):
    encoder:    A_b = maxpool_p(g(conv(A_{b-1}, W_b) + b_b))        (spatial size / p per level)
    code:       H = g(conv(A_B, W_code) + b_code)                    (c_B channels at the smallest size)
    decoder, from level B down to 1, one of
      "transpose": D_{b-1} = g(conv_transpose_p(D_b, V_b) + d_b)      (kernel p, stride p: size x p)
      "unpool":    D_{b-1} = g(conv(unpool_a(D_b), V_b) + d_b)        (max-unpooling at the switches a
                                                                       that level b's pooling remembered)
    reconstruction Xhat = sigmoid(D_0) (inputs scaled to [0, 1]), flattened to rows,
    trained on the reconstruction loss, e.g. MSE(Xhat, X).
The two decoders differ only in how they go back up: a learned upsampling (transposed
convolution, "learnable unpooling"), or putting each value back where its pooling window
found the maximum. The max-unpooling decoder is built with ``fnn.layers.Unpooled``: each
level's pooling and unpooling bracket everything between them, so the switches travel
with the model and the whole network stays one ``Sequential``.
Reference: the lecture's unpooling slides; Noh et al. (2015), Badrinarayanan et al. (SegNet, 2017).
"""

from __future__ import annotations

from fnn.layers import Activation, Conv, ConvTranspose, Flatten, Reshape, Sequential, Unpooled
from fnn.layers.pool import MaxPool
from fnn.util import validate

DECODERS = ("transpose", "unpool")
PRESET = dict(channels=(16, 8), kernel=3, pool=2)
"""The network of ``fnn train --model conv-autoencoder``: on 8x8 digits a 2x2x8 code (32 values for 64 pixels)."""


def conv_autoencoder(image_shape, *, channels=(16, 8), kernel=3, pool: int = 2, decoder: str = "transpose",
                     activation: str = "relu", initializer: str = "he_normal") -> Sequential:
    """Build the autoencoder on flat rows of ``prod(image_shape)`` values in [0, 1].

    Args:
        image_shape: one sample as an image, (H, W, C) or (W, C); each spatial size must
            be divisible by ``pool ** len(channels)``.
        channels: c_1..c_B, the output channels of the encoder's convolutions.
        kernel: the kernel size of every convolution ("same" padding, stride 1).
        pool: the max-pooling window and stride of every level.
        decoder: "transpose" or "unpool" (see the module docstring).
        activation: g, a name from ``fnn.activations.ELEMENTWISE``.
        initializer: of every convolution.
    """
    image_shape = tuple(validate.integer("conv_autoencoder", "image_shape", n) for n in image_shape)
    validate.choice("conv_autoencoder", "decoder", decoder, DECODERS)
    if not channels:
        raise ValueError("conv_autoencoder: expected at least one level of channels, got none")
    shrink = pool ** len(channels)
    if any(n % shrink for n in image_shape[:-1]):
        raise ValueError(f"conv_autoencoder: expected spatial sizes divisible by pool ** levels = {shrink}, "
                         f"got image_shape {image_shape}")

    def convolution(width):
        return Conv(width, kernel, padding="same", initializer=initializer)

    code = [convolution(channels[-1]), Activation(activation)]
    if decoder == "transpose":
        body = [layer for width in channels for layer in (convolution(width), Activation(activation), MaxPool(pool))]
        outputs = (*channels[-2::-1], image_shape[-1])
        for width in outputs:
            code += [ConvTranspose(width, pool, stride=pool, initializer=initializer), Activation(activation)]
        body += code[:-1]
    else:
        body = _unpooling_levels(channels, image_shape[-1], code, convolution, activation, pool)[:-1]
    return Sequential(Reshape(image_shape), *body, Activation("sigmoid"), Flatten())


def _unpooling_levels(channels, out_channels, code, convolution, activation, pool) -> list:
    """conv c_1, g, Unpooled(levels 2..B or the code), conv to ``out_channels``, g."""
    inner = _unpooling_levels(channels[1:], channels[0], code, convolution, activation, pool) if channels[1:] else code
    return [convolution(channels[0]), Activation(activation), Unpooled(Sequential(*inner), pool),
            convolution(out_channels), Activation(activation)]


def describe(image_shape, channels, decoder: str, pool: int = 2) -> str:
    """A one-line name like ``conv autoencoder 8x8x1 conv16-pool-conv8-pool code 2x2x8, transpose decoder``."""
    encoder = "-".join(f"conv{c}-pool" for c in channels)
    code = [n // pool ** len(channels) for n in image_shape[:-1]] + [channels[-1]]
    return (f"conv autoencoder {'x'.join(map(str, image_shape))} {encoder} code {'x'.join(map(str, code))}, "
            f"{decoder} decoder")
