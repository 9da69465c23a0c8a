r"""Convolution and transposed convolution (learnable unpooling), 1-D and 2-D.

Layout: activations (N, W, C) or (N, H, W, C), batch on axis 0, channels last; kernels
(k_W, C_in, C_out) or (k_H, k_W, C_in, C_out) (WIO / HWIO). Like every deep-learning
library, "convolution" here is cross-correlation (the kernel is not flipped).

Math (per spatial axis; n input size, k kernel, s stride, d dilation, p_lo + p_hi padding):
    Y[n, y, o] = b[o] + sum_{j, i} X_pad[n, y s + j d, i] W[j, i, o]
    n_out = floor((n + p_lo + p_hi - d (k - 1) - 1) / s) + 1
    "valid": p = 0;  "same": p_lo + p_hi = max((ceil(n / s) - 1) s + d (k - 1) + 1 - n, 0),
    p_lo = floor of half (n_out = ceil(n / s)).
Transposed convolution is the adjoint of the convolution's input map (the kernel's channel
axes swapped, the same p_lo): each input value scatters k weighted copies, s apart, and the
full output is cropped by p_lo at the start and p_hi at the end,
    Y[n, m, o] = b[o] + sum_{y, j, i: y s + j d = m + p_lo} X[n, y, i] W[j, i, o]
    n_out = (n - 1) s + d (k - 1) + 1 - p_lo - p_hi
    "same": the adjoint of the convolution's "same" on n s inputs, so n_out = n s:
    t = d (k - 1) + 1 - s,  p_lo = floor(max(t, 0) / 2),  p_hi = t - p_lo.
A negative p_hi (s > d (k - 1) + 1) extends the output by -p_hi positions that no input
reaches (Y = b there), as PyTorch's ``output_padding``: kernel 1, stride 2 maps [1, 2, 3] to
[1, 0, 2, 0, 3, 0].
The convolution carries its own VJP (``_correlate_backward``): the same gradient as
autodiff's, in a form XLA:CPU runs tens of times faster inside a loop (scripts/bench_xla_cpu.py). Forward-mode
differentiation (``jax.jvp``, ``jax.hessian``) does not pass through it.
"""

from __future__ import annotations

import dataclasses
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp

from fnn import initializers
from fnn.util import validate

DIMENSIONS = {1: ("NWC", "WIO", "NWC"), 2: ("NHWC", "HWIO", "NHWC")}
"""lax dimension numbers of the 1-D and 2-D layouts."""


class ConvParams(NamedTuple):
    """Kernel W (k..., C_in, C_out) and bias b (C_out,)."""

    W: jax.Array
    b: jax.Array


def tuple_of(where: str, name: str, value, ndim: int, low: int = 1) -> tuple[int, ...]:
    """An int, or one int per spatial axis, as a tuple of ``ndim`` ints >= ``low``."""
    values = (value,) * ndim if not isinstance(value, (tuple, list)) else tuple(value)
    if len(values) != ndim:
        raise ValueError(f"{where}: expected {name} to be an int or {ndim} ints, got {value!r}")
    return tuple(validate.integer(where, name, v, low) for v in values)


def padding_pairs(where: str, padding, sizes, kernel, stride, dilation) -> tuple[tuple[int, int], ...]:
    """(p_lo, p_hi) per spatial axis from "valid", "same", an int, or one int or pair per axis."""
    if padding == "valid":
        return tuple((0, 0) for _ in sizes)
    if padding == "same":
        totals = [max((math.ceil(n / s) - 1) * s + d * (k - 1) + 1 - n, 0)
                  for n, k, s, d in zip(sizes, kernel, stride, dilation)]
        return tuple((t // 2, t - t // 2) for t in totals)
    if isinstance(padding, str):
        raise ValueError(f"{where}: expected padding 'valid', 'same', an int or pairs, got {padding!r}")
    per_axis = (padding,) * len(sizes) if not isinstance(padding, (tuple, list)) else tuple(padding)
    if len(per_axis) != len(sizes):
        raise ValueError(f"{where}: expected padding for {len(sizes)} spatial axes, got {padding!r}")
    pairs = tuple(tuple(p) if isinstance(p, (tuple, list)) else (p, p) for p in per_axis)
    if any(len(p) != 2 for p in pairs):
        raise ValueError(f"{where}: expected padding pairs (lo, hi), got {padding!r}")
    return tuple(tuple(validate.integer(where, "padding", v, 0) for v in p) for p in pairs)


def output_size(n: int, k: int, s: int, d: int, pad: tuple[int, int]) -> int:
    """floor((n + p_lo + p_hi - d (k - 1) - 1) / s) + 1."""
    return (n + pad[0] + pad[1] - d * (k - 1) - 1) // s + 1


def check_input(where: str, in_shape, ndim: int | None = None) -> int:
    """The number of spatial axes of a sample shape (spatial..., C); 1 or 2 (``ndim`` if given)."""
    spatial = len(in_shape) - 1
    if spatial not in (1, 2) or (ndim is not None and spatial != ndim):
        wanted = f"{ndim} spatial" if ndim else "1 or 2 spatial"
        raise ValueError(f"{where}: expected samples of shape ({wanted} axes..., channels), got {tuple(in_shape)}; "
                         "reshape flat rows first (fnn.layers.Reshape)")
    return spatial


def check_channels(where: str, X, W) -> None:
    """Raise ValueError unless X has the kernel's C_in channels."""
    if X.shape[-1] != W.shape[-2]:
        raise ValueError(f"{where}: expected inputs with {W.shape[-2]} channels (the kernel's C_in), "
                         f"got X.shape={tuple(X.shape)}")


def conv(X, W, b, *, stride, padding, dilation):
    """Y = X * W + b, the cross-correlation of the module docstring (padding as (lo, hi) pairs)."""
    return _correlate(tuple(stride), tuple(map(tuple, padding)), tuple(dilation), X, W) + b


def _lax_correlate(stride, padding, dilation, X, W):
    return jax.lax.conv_general_dilated(X, W, window_strides=stride, padding=padding, rhs_dilation=dilation,
                                        dimension_numbers=DIMENSIONS[X.ndim - 2])


_correlate = jax.custom_vjp(_lax_correlate, nondiff_argnums=(0, 1, 2))


def _correlate_forward(stride, padding, dilation, X, W):
    return _correlate(stride, padding, dilation, X, W), (X, W)


def _correlate_backward(stride, padding, dilation, saved, dY):
    r"""(dX, dW) of Y = X * W: dX by JAX's own transpose of the convolution; dW[j, i, o] =
    sum_{n, y} X_pad[n, y s + j d, i] dY[n, y, o], computed as a convolution of X_pad (channels
    as the batch, samples as the features) with dY as the kernel, strided by d, dilated by s.
    The same dW as autodiff's; it is written out because XLA:CPU runs autodiff's form tens of
    times slower inside a loop such as the fused epoch (``python scripts/bench_xla_cpu.py``)."""
    X, W = saved
    dX = jax.vjp(lambda x: _lax_correlate(stride, padding, dilation, x, W), X)[1](dY)[0]
    spatial = X.ndim - 2
    lhs = jnp.moveaxis(X, (0, X.ndim - 1), (X.ndim - 1, 0))  # (C_in, spatial..., N)
    rhs = jnp.moveaxis(dY, 0, -2)  # (out spatial..., N, C_out)
    dW = jax.lax.conv_general_dilated(lhs, rhs, window_strides=dilation, padding=padding, rhs_dilation=stride,
                                      dimension_numbers=DIMENSIONS[spatial])  # (C_in, >= k..., C_out)
    dW = dW[(slice(None), *(slice(0, k) for k in W.shape[:-2]))]
    return dX, jnp.moveaxis(dW, 0, -2)


_correlate.defvjp(_correlate_forward, _correlate_backward)


def conv_transpose(X, W, b, *, stride, padding, dilation):
    """The transposed convolution: zeros between inputs (s - 1 per gap), then a full correlation
    with the flipped kernel, cropped by (p_lo, p_hi) (a negative p_hi appends zeros). W is
    (k..., C_in, C_out) of this layer."""
    dims = DIMENSIONS[X.ndim - 2]
    spatial = tuple(range(W.ndim - 2))
    full = [(d * (k - 1) - lo, d * (k - 1) - hi) for k, d, (lo, hi) in zip(W.shape[:-2], dilation, padding)]
    Y = jax.lax.conv_general_dilated(X, jnp.flip(W, spatial), window_strides=(1,) * len(spatial), padding=full,
                                     lhs_dilation=stride, rhs_dilation=dilation, dimension_numbers=dims)
    return Y + b


@dataclasses.dataclass(frozen=True)
class Conv:
    """Convolution layer: ``features`` output channels, a ``kernel`` (int or per axis) with
    ``stride``, ``padding`` ("valid", "same", int, pairs) and ``dilation``. 1-D or 2-D from the
    input shape; W drawn with ``initializer`` (fans k C_in and k C_out), b = 0."""

    features: int
    kernel: int | tuple
    stride: int | tuple = 1
    padding: str | int | tuple = "valid"
    dilation: int | tuple = 1
    initializer: str = "he_normal"

    def __post_init__(self):
        object.__setattr__(self, "features", validate.integer(type(self).__name__, "features", self.features))
        initializers.get(self.initializer)

    def geometry(self, in_shape):
        """(kernel, stride, dilation, padding pairs) for a sample shape, all checked."""
        where = type(self).__name__
        ndim = check_input(where, in_shape)
        kernel = tuple_of(where, "kernel", self.kernel, ndim)
        stride = tuple_of(where, "stride", self.stride, ndim)
        dilation = tuple_of(where, "dilation", self.dilation, ndim)
        return kernel, stride, dilation, padding_pairs(where, self.padding, in_shape[:-1], kernel, stride, dilation)

    def out_sizes(self, in_shape, kernel, stride, dilation, pads) -> tuple[int, ...]:
        """n_out per spatial axis (the module docstring's formula), the kernel checked against the input."""
        for axis, (n, k, d, pad) in enumerate(zip(in_shape[:-1], kernel, dilation, pads)):
            if d * (k - 1) + 1 > n + sum(pad):
                raise ValueError(f"Conv: expected a kernel no larger than the padded input on spatial axis {axis}, got "
                                 f"a kernel spanning {d * (k - 1) + 1} over {n + sum(pad)} padded inputs")
        return tuple(output_size(n, k, s, d, p) for n, k, s, d, p in zip(in_shape[:-1], kernel, stride, dilation, pads))

    transform = staticmethod(conv)

    def init(self, key, in_shape, *, dtype):
        kernel, stride, dilation, pads = self.geometry(in_shape)
        out = self.out_sizes(in_shape, kernel, stride, dilation, pads)
        W = initializers.get(self.initializer)(key, (*kernel, in_shape[-1], self.features), dtype)
        return (*out, self.features), ConvParams(W, jnp.zeros((self.features,), dtype)), ()

    def apply(self, params, state, X, *, train, key=None):
        _, stride, dilation, pads = self.geometry(X.shape[1:])
        check_channels(type(self).__name__, X, params.W)
        return self.transform(X, params.W, params.b, stride=stride, padding=pads, dilation=dilation), state

    def weight_mask(self, params):
        return ConvParams(True, False)

    deterministic = True


@dataclasses.dataclass(frozen=True)
class ConvTranspose(Conv):
    """Transposed convolution (learnable unpooling): the same settings as ``Conv``; "same"
    padding gives n s outputs per axis, the adjoint of ``Conv(padding="same")`` on n s inputs."""

    def geometry(self, in_shape):
        kernel, stride, dilation, pads = super().geometry(in_shape)
        if self.padding == "same":  # the convolution's p_lo on n s inputs; p_hi < 0 pads the end
            totals = [d * (k - 1) + 1 - s for k, s, d in zip(kernel, stride, dilation)]
            pads = tuple((max(t, 0) // 2, t - max(t, 0) // 2) for t in totals)
        return kernel, stride, dilation, pads

    def out_sizes(self, in_shape, kernel, stride, dilation, pads) -> tuple[int, ...]:
        """(n - 1) s + d (k - 1) + 1 - p_lo - p_hi per spatial axis."""
        out = tuple((n - 1) * s + d * (k - 1) + 1 - sum(p)
                    for n, k, s, d, p in zip(in_shape[:-1], kernel, stride, dilation, pads))
        if min(out) < 1:
            raise ValueError(f"ConvTranspose: expected padding smaller than the output, got outputs of size {out}")
        return out

    transform = staticmethod(conv_transpose)
