"""Random draws for initialisation, compiled once per size class instead of once per shape.

Outside ``jit``, every new shape given to ``jax.random.normal`` or ``uniform`` is a new XLA
program (the threefry hash: about 0.3 s of compilation each on a CPU), so building a model
paid that once per parameter shape. With JAX's partitionable threefry (its default), the
value at a position depends only on the key and the position's flat index, so a draw of
shape S holds the first prod(S) values of a flat draw of any larger size. ``normal`` and
``uniform`` draw a flat vector whose length is the next power of two and cut it to S:
equal, bit for bit, to ``jax.random.normal(key, S, dtype)`` and ``jax.random.uniform``
(tested), with one compilation per power of two. Under a trace (``jit``, ``vmap``), and for
keys or settings without that property, they draw directly.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp


def _by_flat_index(key) -> bool:
    """Whether draws with ``key`` depend only on the flat index, so a long draw can be cut."""
    return (jax.config.jax_threefry_partitionable and not isinstance(key, jax.core.Tracer)
            and jnp.issubdtype(key.dtype, jax.dtypes.prng_key) and key.shape == ()
            and str(jax.random.key_impl(key)) == "threefry2x32")


def _size_class(size: int) -> int:
    """The smallest power of two >= ``size``."""
    return 1 << max(size - 1, 0).bit_length()


@functools.partial(jax.jit, static_argnames=("length", "dtype"))
def _flat_normal(key, length: int, dtype):
    return jax.random.normal(key, (length,), dtype)


@functools.partial(jax.jit, static_argnames=("length", "dtype"))
def _flat_uniform(key, minval, maxval, length: int, dtype):
    return jax.random.uniform(key, (length,), dtype, minval=minval, maxval=maxval)


@functools.partial(jax.jit, static_argnames="shape")
def _cut(flat, scale, shape: tuple[int, ...]):
    """``scale`` times the first prod(shape) values, in ``shape`` (one program per shape, a cheap one)."""
    return scale * flat[:math.prod(shape)].reshape(shape)


def normal(key, shape, dtype=float, stddev: float = 1.0):
    """``stddev * jax.random.normal(key, shape, dtype)``: N(0, stddev^2) values (``dtype`` by default
    JAX's default float, as there)."""
    shape = tuple(shape)
    if not _by_flat_index(key):
        return stddev * jax.random.normal(key, shape, dtype)
    return _cut(_flat_normal(key, _size_class(math.prod(shape)), dtype), stddev, shape)


def uniform(key, shape, dtype=float, minval: float = 0.0, maxval: float = 1.0):
    """``jax.random.uniform(key, shape, dtype, minval, maxval)``: U[minval, maxval) values (the same defaults)."""
    shape = tuple(shape)
    if not _by_flat_index(key):
        return jax.random.uniform(key, shape, dtype, minval=minval, maxval=maxval)
    bounds = jnp.asarray(minval, dtype), jnp.asarray(maxval, dtype)
    return _cut(_flat_uniform(key, *bounds, _size_class(math.prod(shape)), dtype), 1, shape)
