r"""Convolution and transposed convolution backward, as the lecture derives them.

Convolution Y[n, y, o] = b[o] + sum_{j, i} X_pad[n, y s + j d, i] W[j, i, o] (per spatial axis):
    db[o]       = sum_{n, y} dY[n, y, o]
    dW[j, i, o] = sum_{n, y} X_pad[n, y s + j d, i] dY[n, y, o]
                  (the correlation of the padded input with dY, dY spread s apart)
    dX_pad[n, x, i] = sum_{y, j: y s + j d = x} dY[n, y, o] W[j, i, o]
                  (the full convolution of dY, with s - 1 zeros between its values, with the
                  flipped kernel: the transposed convolution), then the padding is cut off.
The transposed convolution is the adjoint of a convolution, so its backward swaps the
two: dX is the strided correlation of dY with its kernel, dW the correlation of dY with X,
where dY is first padded back by the (p_lo, p_hi) its forward pass cropped. Its "same"
padding (``fnn.layers.conv``: t = d (k - 1) + 1 - s, p_lo = floor(max(t, 0) / 2), p_hi =
t - p_lo) has p_hi < 0 when s > d (k - 1) + 1: the last -p_hi outputs reach no input, and
that "padding" cuts their dY off. ``loop_backward`` writes the convolution's sums as the
lecture's sliding-window loops, for small shapes.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from fnn.layers import conv as fc


class ConvCache(NamedTuple):
    """Input X and kernel W of the forward pass."""

    X: jax.Array
    W: jax.Array


def _pad(X, pads):
    """Pad (or, for negative amounts, crop) the spatial axes of (N, spatial..., C)."""
    config = [(0, 0, 0), *((lo, hi, 0) for lo, hi in pads), (0, 0, 0)]
    return jax.lax.pad(X, jnp.zeros((), X.dtype), config)


def _dims(X):
    return fc.DIMENSIONS[X.ndim - 2]


def input_correlation(X_pad, dY, kernel, stride, dilation):
    """dW[j, i, o] = sum_{n, y} X_pad[n, y s + j d, i] dY[n, y, o]: a correlation whose "batch" is
    the input channel and whose summed channel is the sample."""
    lhs = jnp.moveaxis(X_pad, (0, -1), (-1, 0))  # (C_in, spatial..., N)
    rhs = jnp.moveaxis(dY, 0, -2)  # (spatial..., N, C_out)
    out = jax.lax.conv_general_dilated(lhs, rhs, window_strides=dilation, padding="VALID", rhs_dilation=stride,
                                       dimension_numbers=_dims(X_pad))
    out = out[(slice(None), *(slice(0, k) for k in kernel))]  # positions past the kernel saw no output
    return jnp.moveaxis(out, 0, -2)  # (k..., C_in, C_out)


def full_convolution(dY, W, stride, dilation, out_sizes):
    """dX_pad: dY with s - 1 zeros between values, fully correlated with the flipped, transposed
    kernel, extended with zeros to ``out_sizes`` (inputs no window reached)."""
    kernel = W.shape[:-2]
    spatial = tuple(range(len(kernel)))
    flipped = jnp.swapaxes(jnp.flip(W, spatial), -1, -2)  # (k..., C_out, C_in)
    reach = [(y - 1) * s + d * (k - 1) + 1 for y, s, d, k in zip(dY.shape[1:-1], stride, dilation, kernel)]
    full = [(d * (k - 1), d * (k - 1) + n - r) for d, k, n, r in zip(dilation, kernel, out_sizes, reach)]
    return jax.lax.conv_general_dilated(dY, flipped, window_strides=(1,) * len(kernel), padding=full,
                                        lhs_dilation=stride, rhs_dilation=dilation, dimension_numbers=_dims(dY))


def conv_backward(layer: fc.Conv, cache: ConvCache, dY):
    """(ConvParams(dW, db), dX) of a convolution layer."""
    X, W = cache
    kernel, stride, dilation, pads = layer.geometry(X.shape[1:])
    X_pad = _pad(X, pads)
    dW = input_correlation(X_pad, dY, kernel, stride, dilation)
    dX_pad = full_convolution(dY, W, stride, dilation, X_pad.shape[1:-1])
    dX = _pad(dX_pad, [(-lo, -hi) for lo, hi in pads])
    return fc.ConvParams(dW, jnp.sum(dY, axis=tuple(range(dY.ndim - 1)))), dX


def conv_transpose_backward(layer: fc.ConvTranspose, cache: ConvCache, dY):
    """(ConvParams(dW, db), dX) of a transposed convolution, the adjoint of a convolution."""
    X, W = cache
    kernel, stride, dilation, pads = layer.geometry(X.shape[1:])
    dY_pad = _pad(dY, pads)  # the full output: zeros where the forward cropped; p_hi < 0 cuts outputs no input reached
    dX = jax.lax.conv_general_dilated(dY_pad, jnp.swapaxes(W, -1, -2), window_strides=stride, padding="VALID",
                                      rhs_dilation=dilation, dimension_numbers=_dims(dY))
    dW = jnp.swapaxes(input_correlation(dY_pad, X, kernel, stride, dilation), -1, -2)
    return fc.ConvParams(dW, jnp.sum(dY, axis=tuple(range(dY.ndim - 1)))), dX


def loop_backward(layer: fc.Conv, X, W, dY):
    """The convolution's dW, db and dX by sliding the window over every output position (NumPy
    loops: the lecture's picture, for small shapes)."""
    kernel, stride, dilation, pads = layer.geometry(X.shape[1:])
    X_pad = np.pad(np.asarray(X), [(0, 0), *pads, (0, 0)])
    dX_pad, dW = np.zeros_like(X_pad), np.zeros(np.shape(W))
    W, dY = np.asarray(W), np.asarray(dY)
    for y in np.ndindex(*dY.shape[1:-1]):
        for j in np.ndindex(*kernel):
            x = tuple(yy * s + jj * d for yy, jj, s, d in zip(y, j, stride, dilation))
            dW[j] += X_pad[(slice(None), *x)].T @ dY[(slice(None), *y)]
            dX_pad[(slice(None), *x)] += dY[(slice(None), *y)] @ W[j].T
    crop = tuple(slice(lo, lo + n) for (lo, _), n in zip(pads, X.shape[1:-1]))
    return fc.ConvParams(dW, dY.sum(axis=tuple(range(dY.ndim - 1)))), dX_pad[(slice(None), *crop)]


def rule_forward(layer: fc.Conv, params, state, X, *, key):
    Y, state = layer.apply(params, state, X, train=True)
    return Y, state, ConvCache(X, params.W)


def rule_backward(layer: fc.Conv, cache: ConvCache, dY):
    return conv_transpose_backward(layer, cache, dY) if isinstance(layer, fc.ConvTranspose) else \
        conv_backward(layer, cache, dY)
