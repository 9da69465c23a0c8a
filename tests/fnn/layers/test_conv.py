import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn.layers import Conv, ConvTranspose, Sequential
from fnn.layers import conv as fc
from fnn.layers.conv import DIMENSIONS, ConvParams
from fnn.util import random_draws

GEOMETRIES = [  # (sample shape, settings)
    ((9, 8, 3), dict(kernel=(3, 2))),
    ((9, 8, 3), dict(kernel=(3, 2), stride=2, padding="same")),
    ((9, 8, 3), dict(kernel=(3, 2), stride=(2, 1), dilation=(2, 1), padding=((1, 2), (0, 1)))),
    ((11, 3), dict(kernel=3, stride=2, padding=1)),
    ((6, 3), dict(kernel=1, stride=3, padding="same")),
]


def sliding_window(X, W, b, stride, dilation, pads):
    """Y[n, y, o] = b[o] + sum_{j, i} X_pad[n, y s + j d, i] W[j, i, o], by looping over y and j."""
    X_pad = np.pad(np.asarray(X), [(0, 0), *pads, (0, 0)])
    kernel = W.shape[:-2]
    out = [(n - d * (k - 1) - 1) // s + 1 for n, k, s, d in zip(X_pad.shape[1:-1], kernel, stride, dilation)]
    Y = np.zeros((X.shape[0], *out, W.shape[-1])) + np.asarray(b)
    for y in np.ndindex(*out):
        for j in np.ndindex(*kernel):
            x = tuple(yy * s + jj * d for yy, jj, s, d in zip(y, j, stride, dilation))
            Y[(slice(None), *y)] += X_pad[(slice(None), *x)] @ np.asarray(W)[j]
    return Y


@pytest.mark.parametrize("shape, settings", GEOMETRIES)
def test_conv_equals_the_sliding_window_sum_and_the_output_size_formula(shape, settings, key):
    layer = Conv(4, **settings)
    out_shape, params, _ = layer.init(key, shape, dtype=jnp.float64)
    params = params._replace(b=jnp.arange(4.0))
    X = random_draws.normal(key, (2, *shape), jnp.float64)
    kernel, stride, dilation, pads = layer.geometry(shape)
    Y = layer.apply(params, (), X, train=False)[0]
    np.testing.assert_allclose(Y, sliding_window(X, params.W, params.b, stride, dilation, pads), rtol=1e-12, atol=1e-12)
    expected = tuple((n + lo + hi - d * (k - 1) - 1) // s + 1
                     for n, (lo, hi), k, s, d in zip(shape[:-1], pads, kernel, stride, dilation))
    assert out_shape == (*expected, 4) == Y.shape[1:]
    if settings.get("padding") == "same":
        assert expected == tuple(math.ceil(n / s) for n, s in zip(shape[:-1], stride))


@pytest.mark.parametrize("shape, settings", GEOMETRIES)
def test_the_written_out_gradient_equals_autodiff_of_lax_conv(shape, settings, key):
    """fnn's convolution carries its own VJP (XLA:CPU runs autodiff's weight gradient slowly
    inside a scan); it must equal jax.vjp of plain lax.conv_general_dilated, a random dY."""
    layer = Conv(4, **settings)
    _, params, _ = layer.init(key, shape, dtype=jnp.float64)
    X = random_draws.normal(jax.random.fold_in(key, 1), (3, *shape), jnp.float64)
    kernel, stride, dilation, pads = layer.geometry(shape)

    def plain(X, W):
        return jax.lax.conv_general_dilated(X, W, stride, pads, rhs_dilation=dilation,
                                            dimension_numbers=DIMENSIONS[len(shape) - 1])

    ours = lambda X, W: layer.apply(ConvParams(W, params.b), (), X, train=True)[0]  # noqa: E731
    Y, ours_vjp = jax.vjp(ours, X, params.W)
    dY = random_draws.normal(jax.random.fold_in(key, 2), Y.shape, jnp.float64)
    for a, b in zip(jax.jit(ours_vjp)(dY), jax.vjp(plain, X, params.W)[1](dY)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape, settings", GEOMETRIES)
def test_transposed_conv_is_the_adjoint_of_the_conv_input_map(shape, settings, key):
    """<conv(X), Z> = <X, conv_transpose(Z)> with the kernel's channels swapped and the conv's
    padding given explicitly (the transposed conv's "same" means n s outputs), where the
    transposed output covers the input (no remainder left by the stride)."""
    k_w, k_x, k_z = jax.random.split(key, 3)
    conv = Conv(4, **settings)
    transposed = ConvTranspose(shape[-1], **(settings | {"padding": conv.geometry(shape)[3]}))
    out_shape, params, _ = conv.init(k_w, shape, dtype=jnp.float64)
    X = random_draws.normal(k_x, (2, *shape), jnp.float64)
    Z = random_draws.normal(k_z, (2, *out_shape), jnp.float64)
    t_shape, t_params, _ = transposed.init(k_w, out_shape, dtype=jnp.float64)
    t_params = t_params._replace(W=jnp.swapaxes(params.W, -1, -2))
    back = transposed.apply(t_params, (), Z, train=False)[0]
    covered = tuple(slice(0, min(a, b)) for a, b in zip(shape[:-1], t_shape[:-1]))
    forward = conv.apply(params._replace(b=jnp.zeros(4)), (), X, train=False)[0]
    np.testing.assert_allclose(jnp.vdot(forward, Z), jnp.vdot(X[(slice(None), *covered)], back[(slice(None), *covered)]),
                               rtol=1e-12)


def same_pair(kernel, stride, dilation, sizes, seed=0):
    """ConvTranspose("same") of a random Z (2, sizes..., 3) and jax.vjp of Conv("same") on
    inputs of n s per axis at the cotangent Z, sharing one kernel: the convolution's W (k..., 2, 3)
    is the transposed convolution's with its channel axes swapped (the module docstring)."""
    rng = np.random.default_rng(seed)
    in_shape = (2, *(n * s for n, s in zip(sizes, stride)), 2)
    W = jnp.asarray(rng.standard_normal((*kernel, 2, 3)))
    Z = jnp.asarray(rng.standard_normal((2, *sizes, 3)))
    conv = Conv(3, kernel, stride=stride, padding="same", dilation=dilation)
    transposed = ConvTranspose(2, kernel, stride=stride, padding="same", dilation=dilation)

    @jax.jit  # one compilation per geometry, not one per operation
    def both(W, Z):
        linear = lambda X: conv.apply(ConvParams(W, jnp.zeros(3)), (), X, train=False)[0]  # noqa: E731
        (adjoint,) = jax.vjp(linear, jnp.zeros(in_shape))[1](Z)
        return transposed.apply(ConvParams(jnp.swapaxes(W, -1, -2), jnp.zeros(2)), (), Z, train=False)[0], adjoint

    return both(W, Z)


@pytest.mark.parametrize("kernel, stride, dilation", list(itertools.product(range(1, 5), repeat=3)))
def test_same_transposed_conv_is_the_adjoint_of_same_conv_1d(kernel, stride, dilation):
    """Every (k, s, d) in 1..4, also s > d (k - 1) + 1, where the transposed padding's p_hi < 0."""
    Y, adjoint = same_pair((kernel,), (stride,), (dilation,), (3,))
    assert Y.shape == adjoint.shape == (2, 3 * stride, 2)
    np.testing.assert_allclose(Y, adjoint, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kernel, stride, dilation, sizes", [
    ((1, 3), (2, 2), (1, 2), (3, 2)), ((2, 1), (3, 4), (1, 3), (2, 3)), ((4, 3), (2, 3), (2, 1), (2, 2))])
def test_same_transposed_conv_is_the_adjoint_of_same_conv_2d(kernel, stride, dilation, sizes):
    Y, adjoint = same_pair(kernel, stride, dilation, sizes)
    assert Y.shape == adjoint.shape == (2, *(n * s for n, s in zip(sizes, stride)), 2)
    np.testing.assert_allclose(Y, adjoint, rtol=1e-12, atol=1e-12)


def test_same_transposed_conv_with_the_stride_past_the_kernel_pads_the_end():
    """Issue 19: kernel 1, stride 2 maps [1, 2, 3] to [1, 0, 2, 0, 3, 0] (was [0, 1, 0, 2, 0, 3])."""
    layer = ConvTranspose(1, 1, stride=2, padding="same")
    assert layer.geometry((3, 1))[3] == ((0, -1),)
    X = jnp.array([1.0, 2.0, 3.0]).reshape(1, 3, 1)
    Y = jax.jit(lambda X: layer.apply(ConvParams(jnp.ones((1, 1, 1)), jnp.zeros(1)), (), X, train=False)[0])(X)
    np.testing.assert_array_equal(Y.ravel(), [1.0, 0.0, 2.0, 0.0, 3.0, 0.0])


@pytest.mark.parametrize("kernel, stride, dilation", [(1, 2, 1), (2, 4, 1), (1, 3, 2), (2, 3, 2), (3, 1, 1), (4, 2, 1)])
def test_same_transposed_conv_equals_pytorch_with_output_padding(kernel, stride, dilation):
    """PyTorch's conv_transpose1d crops p at both ends, then appends output_padding zeros: our
    "same" where t = d (k - 1) + 1 - s is even (p = t / 2) or negative (p = 0, output_padding
    = -t). Its weight (C_in, C_out, k) is ours with the axes moved."""
    torch = pytest.importorskip("torch")
    t = dilation * (kernel - 1) + 1 - stride
    Z = np.random.default_rng(1).standard_normal((2, 3, 3))
    W = np.random.default_rng(2).standard_normal((kernel, 3, 2))
    ours = ConvTranspose(2, kernel, stride=stride, padding="same", dilation=dilation).apply(
        ConvParams(jnp.asarray(W), jnp.zeros(2)), (), jnp.asarray(Z), train=False)[0]
    theirs = torch.nn.functional.conv_transpose1d(
        torch.from_numpy(Z.transpose(0, 2, 1)), torch.from_numpy(W.transpose(1, 2, 0)), stride=stride,
        padding=max(t, 0) // 2, output_padding=max(-t, 0), dilation=dilation)
    np.testing.assert_allclose(ours, theirs.numpy().transpose(0, 2, 1), rtol=1e-12, atol=1e-12)


def test_transposed_conv_output_sizes(key):
    assert ConvTranspose(3, 3, stride=2).init(key, (4, 5, 2), dtype=jnp.float32)[0] == (9, 11, 3)  # (n-1)s + k
    assert ConvTranspose(3, 4, stride=2, padding="same").init(key, (4, 5, 2), dtype=jnp.float32)[0] == (8, 10, 3)
    assert ConvTranspose(3, 1, stride=3, padding="same").init(key, (4, 2), dtype=jnp.float32)[0] == (12, 3)
    assert ConvTranspose(2, 3, stride=2, padding=1).init(key, (5, 1), dtype=jnp.float32)[0] == (9, 2)


def test_bad_input_is_named(key):
    with pytest.raises(ValueError, match=r"Conv: expected samples of shape \(1 or 2 spatial axes..., channels\), got \(64,\)"):
        Conv(4, 3).init(key, (64,), dtype=jnp.float32)
    with pytest.raises(ValueError, match=r"Conv: expected a kernel no larger than the padded input on spatial axis 1, "
                                         r"got a kernel spanning 5 over 4 padded inputs"):
        Conv(4, (3, 5)).init(key, (6, 4, 1), dtype=jnp.float32)
    with pytest.raises(ValueError, match=r"Conv: expected stride to be a positive int, got 0"):
        Conv(4, 3, stride=0).init(key, (6, 6, 1), dtype=jnp.float32)
    with pytest.raises(ValueError, match=r"Conv: expected kernel to be an int or 2 ints, got \(3, 3, 3\)"):
        Conv(4, (3, 3, 3)).init(key, (6, 6, 1), dtype=jnp.float32)
    with pytest.raises(ValueError, match=r"Conv: expected padding 'valid', 'same', an int or pairs, got 'full'"):
        Conv(4, 3, padding="full").init(key, (6, 6, 1), dtype=jnp.float32)
    params = Conv(4, 3).init(key, (6, 6, 2), dtype=jnp.float32)[1]
    with pytest.raises(ValueError, match=r"Conv: expected inputs with 2 channels \(the kernel's C_in\), got X.shape=\(1, 6, 6, 3\)"):
        Conv(4, 3).apply(params, (), jnp.ones((1, 6, 6, 3)), train=False)
    with pytest.raises(ValueError, match=r"Conv: expected features to be a positive int, got 0"):
        Conv(0, 3)


def test_conv_composes_and_declares_its_kernel_as_the_weight(key):
    model = Sequential(Conv(3, 3, padding="same"), ConvTranspose(2, 2, stride=2))
    out_shape, params, _ = model.init(key, (5, 5, 1), dtype=jnp.float32)
    assert out_shape == (10, 10, 2)
    assert model.weight_mask(params) == (fc.ConvParams(True, False), fc.ConvParams(True, False))
