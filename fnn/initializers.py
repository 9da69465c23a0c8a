r"""Weight initialisation schemes, each ``(key, shape, dtype) -> Array``.

Fans: for a dense kernel of shape (n_in, n_out) the fans are n_in and n_out; for a
convolution kernel (HWIO, ..., in, out) both are multiplied by the receptive-field size
prod(shape[:-2]); for a vector both equal its length. Every docstring states the variance
the scheme actually produces (no truncation is used, so no rescaling is needed); the
tests check each variance empirically.
"""

from __future__ import annotations

import math

import jax.numpy as jnp

from fnn.util import random_draws, validate


def fans(shape) -> tuple[int, int]:
    """Return (n_in, n_out) for a kernel shape, with the conventions of the module."""
    if len(shape) == 0:
        raise ValueError(f"initializers.fans: expected a shape with at least 1 dim, got {shape}")
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


def _uniform(key, shape, dtype, limit: float):
    return random_draws.uniform(key, shape, dtype, -limit, limit)


def _normal(key, shape, dtype, stddev: float):
    return random_draws.normal(key, shape, dtype, stddev)


def zeros(key, shape, dtype=jnp.float32):
    """All zeros (biases; never for weights of a hidden layer: symmetry is not broken)."""
    del key
    return jnp.zeros(shape, dtype)


def constant(value: float):
    """Return an initializer filling with ``value`` (variance 0)."""

    def init(key, shape, dtype=jnp.float32):
        del key
        return jnp.full(shape, value, dtype)

    return init


def normal(stddev: float = 1.0):
    """Return an initializer drawing N(0, stddev^2) (variance stddev^2)."""
    validate.number_in("initializers.normal", "stddev", stddev, 0.0, low_open=True)
    return lambda key, shape, dtype=jnp.float32: _normal(key, shape, dtype, stddev)


def uniform(limit: float = 1.0):
    """Return an initializer drawing U[-limit, limit] (variance limit^2 / 3)."""
    validate.number_in("initializers.uniform", "limit", limit, 0.0, low_open=True)
    return lambda key, shape, dtype=jnp.float32: _uniform(key, shape, dtype, limit)


def small_random(key, shape, dtype=jnp.float32):
    """The lecture's first try, W = 0.01 N(0, 1): variance 1e-4, whatever the fans."""
    return _normal(key, shape, dtype, 0.01)


def lecun_normal(key, shape, dtype=jnp.float32):
    """Calibrated variances, W = N(0, 1) / sqrt(n_in): variance 1 / n_in (LeCun 1998)."""
    n_in, _ = fans(shape)
    return _normal(key, shape, dtype, 1 / math.sqrt(n_in))


def glorot_normal(key, shape, dtype=jnp.float32):
    """Glorot/Xavier normal, N(0, 2 / (n_in + n_out)): variance 2 / (n_in + n_out)."""
    n_in, n_out = fans(shape)
    return _normal(key, shape, dtype, math.sqrt(2 / (n_in + n_out)))


def glorot_uniform(key, shape, dtype=jnp.float32):
    """Glorot/Xavier uniform, U[+-sqrt(6 / (n_in + n_out))]: variance 2 / (n_in + n_out)."""
    n_in, n_out = fans(shape)
    return _uniform(key, shape, dtype, math.sqrt(6 / (n_in + n_out)))


def he_normal(key, shape, dtype=jnp.float32):
    """He/Kaiming normal for ReLU, N(0, 2 / n_in): variance 2 / n_in (He et al. 2015)."""
    n_in, _ = fans(shape)
    return _normal(key, shape, dtype, math.sqrt(2 / n_in))


def he_uniform(key, shape, dtype=jnp.float32):
    """He/Kaiming uniform, U[+-sqrt(6 / n_in)]: variance 2 / n_in."""
    n_in, _ = fans(shape)
    return _uniform(key, shape, dtype, math.sqrt(6 / n_in))


def tanh_uniform(key, shape, dtype=jnp.float32):
    """The lecture's tanh rule, U[+-sqrt(3 / n_in)]: variance 1 / n_in."""
    n_in, _ = fans(shape)
    return _uniform(key, shape, dtype, math.sqrt(3 / n_in))


def glorot_bengio_standard(key, shape, dtype=jnp.float32):
    """Glorot and Bengio's "standard" heuristic, U[+-1 / sqrt(n_in)]: variance 1 / (3 n_in)."""
    n_in, _ = fans(shape)
    return _uniform(key, shape, dtype, 1 / math.sqrt(n_in))


def orthogonal(key, shape, dtype=jnp.float32):
    """Orthogonal (Saxe et al. 2014): Q of the QR decomposition of a standard normal (n_in, n_out)
    matrix, signs fixed by diag(R) so Q is uniform over orthogonal matrices; orthonormal columns
    (n_in >= n_out) or rows: every singular value 1, variance 1 / max(n_in, n_out). For 2-D
    shapes (a recurrent W keeps the norm of the state it multiplies)."""
    if len(shape) != 2:
        raise ValueError(f"initializers.orthogonal: expected a 2-D shape (n_in, n_out), got {tuple(shape)}")
    n_in, n_out = shape
    A = random_draws.normal(key, (max(n_in, n_out), min(n_in, n_out)), dtype)
    Q, R = jnp.linalg.qr(A)
    Q = Q * jnp.sign(jnp.diagonal(R))
    return Q if n_in >= n_out else Q.T


BY_NAME = {
    "zeros": zeros,
    "small_random": small_random,
    "lecun_normal": lecun_normal,
    "glorot_normal": glorot_normal,
    "xavier_normal": glorot_normal,
    "glorot_uniform": glorot_uniform,
    "xavier_uniform": glorot_uniform,
    "he_normal": he_normal,
    "kaiming_normal": he_normal,
    "he_uniform": he_uniform,
    "kaiming_uniform": he_uniform,
    "tanh_uniform": tanh_uniform,
    "glorot_bengio_standard": glorot_bengio_standard,
    "pytorch_uniform": glorot_bengio_standard,
    "orthogonal": orthogonal,
}
"""Initializers without hyperparameters, by name (Xavier and Kaiming are aliases; PyTorch's
``nn.Linear`` default, kaiming_uniform with a = sqrt(5), is U[+-1/sqrt(n_in)] = glorot_bengio_standard)."""


def get(name: str):
    """Return the initializer called ``name`` (see ``BY_NAME``)."""
    return validate.lookup("initializers.get", "initializer", name, BY_NAME)
