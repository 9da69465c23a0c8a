r"""One table of (layer, input shape) cases that drives every check of fnn's backward rules.

``reference.rule_check.compare`` checks each case in float64 with a random upstream
gradient dY, alone (against ``jax.vjp`` and finite differences) and inside a small
network (``network``); a layer on token ids (``vocabulary`` set: the embedding) comes
first in its network and only its parameters are differentiated. The ``fnn gradcheck``
rows and the tests read this table; a test fails when a layer type with a rule in
``reference.backprop.RULES`` has no case here.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from fnn import activations
from fnn.layers import (GRU, LSTM, Activation, BatchNorm, Conv, ConvTranspose, Dense, Dropout, Flatten, Maxout, Reshape,
                        Residual, Sequential)
from fnn.layers import AvgPool, Bidirectional, Embedding, GlobalAvgPool, MaxPool, NearestUnpool, SimpleRNN, Unpooled

BATCH = 6


class Case(NamedTuple):
    """A layer, the shape of one input sample, whether the layer has kinks, and the vocabulary
    of a layer whose input is token ids (None: real inputs)."""

    name: str
    layer: Any
    in_shape: tuple
    kinked: bool = False
    vocabulary: int | None = None


KINKED_ACTIVATIONS = {"relu", "leaky_relu"}

CASES = (
    Case("dense", Dense(4, "glorot_normal"), (5,)),
    Case("dense (time steps)", Dense(3, "glorot_normal"), (2, 5)),
    *(Case(f"activation {name}", Activation(name), (6,), name in KINKED_ACTIVATIONS) for name in activations.ELEMENTWISE),
    Case("maxout", Maxout(3), (6,), kinked=True),
    Case("batchnorm", BatchNorm(momentum=0.8), (5,)),
    Case("batchnorm (image channels)", BatchNorm(unbiased=True), (2, 3, 4)),
    Case("dropout (inverted)", Dropout(0.3), (6,)),
    Case("dropout (lecture)", Dropout(0.4, "lecture"), (6,)),
    Case("flatten", Flatten(), (2, 3)),
    Case("reshape", Reshape((3, 2, 1)), (6,)),
    Case("conv 2-D", Conv(4, 3, initializer="glorot_normal"), (6, 5, 3)),
    Case("conv 2-D stride 2 same", Conv(3, (3, 2), stride=2, padding="same", initializer="glorot_normal"), (7, 6, 2)),
    Case("conv 2-D dilated, padded", Conv(2, 2, stride=(1, 2), padding=((1, 0), (2, 1)), dilation=2,
                                          initializer="glorot_normal"), (6, 6, 2)),
    Case("conv 1-D stride 2", Conv(4, 3, stride=2, padding=1, initializer="glorot_normal"), (9, 3)),
    Case("transposed conv 2-D stride 2", ConvTranspose(3, 3, stride=2, initializer="glorot_normal"), (4, 3, 2)),
    Case("transposed conv 2-D same", ConvTranspose(2, (2, 3), stride=2, padding="same", initializer="glorot_normal"),
         (3, 4, 3)),
    Case("transposed conv 1-D", ConvTranspose(3, 4, stride=3, padding=1, initializer="glorot_normal"), (5, 2)),
    Case("transposed conv 1-D same, stride past the kernel (p_hi < 0)",
         ConvTranspose(3, 2, stride=3, padding="same", initializer="glorot_normal"), (4, 2)),
    Case("max pool 2-D", MaxPool(2), (6, 6, 3), kinked=True),
    Case("max pool 2-D window 3 stride 2 padded", MaxPool(3, stride=2, padding=1), (7, 6, 3), kinked=True),
    Case("max pool 1-D same", MaxPool(3, stride=2, padding="same"), (9, 4), kinked=True),
    Case("avg pool 2-D padded", AvgPool((3, 2), stride=2, padding=((1, 1), (0, 1))), (6, 5, 3)),
    Case("global avg pool", GlobalAvgPool(), (5, 4, 3)),
    Case("nearest unpool 1-D", NearestUnpool(3), (4, 2)),
    Case("nearest unpool 2-D", NearestUnpool((2, 3)), (3, 2, 3)),
    Case("max unpooling around a tanh block", Unpooled(Sequential(Dense(3, "glorot_normal"), Activation("tanh")), 2),
         (6, 6, 3), kinked=True),
    Case("max unpooling, overlapping windows 1-D", Unpooled(Activation("tanh"), 3, stride=2, padding=1), (8, 2),
         kinked=True),
    Case("simple RNN, every state", SimpleRNN(4), (5, 3)),
    Case("simple RNN, last state", SimpleRNN(3, sequences=False), (6, 2)),
    Case("GRU, every state", GRU(3), (5, 2)),
    Case("GRU, last state", GRU(4, sequences=False), (4, 3)),
    Case("LSTM, every state", LSTM(3), (5, 2)),
    Case("LSTM, last state", LSTM(2, sequences=False), (4, 3)),
    Case("bidirectional GRU", Bidirectional(GRU(2)), (4, 2)),
    Case("bidirectional simple RNN, last states", Bidirectional(SimpleRNN(3, sequences=False)), (5, 2)),
    Case("embedding", Embedding(7, 3), (5,), vocabulary=7),
    Case("residual tanh block", Residual(Sequential(Dense(5, "glorot_normal"), Activation("tanh"))), (5,)),
    Case("sequential", Sequential(Dense(4, "glorot_normal"), BatchNorm(), Activation("elu")), (3,)),
)


def generator(key) -> np.random.Generator:
    """A NumPy generator seeded by a JAX key: the cases' random values are drawn on the host,
    because every eager ``jax.random`` draw of a new shape compiles a program of its own."""
    return np.random.default_rng(np.asarray(jax.random.key_data(key)).tolist())


def draw(layer, case: Case, key):
    """Float64 parameters of ``layer`` moved off their initial values (gamma != 1, beta != 0,
    biases != 0), its initial state, and a random batch X for the case's inputs."""
    k_init, k_draws = jax.random.split(key)
    _, params, state = layer.init(k_init, case.in_shape, dtype=jnp.float64)
    rng = generator(k_draws)
    params = jax.tree.map(lambda p: jnp.asarray(np.asarray(p) + 0.2 * rng.standard_normal(p.shape)), params)
    shape = (BATCH, *case.in_shape)
    X = rng.integers(0, case.vocabulary, shape) if case.vocabulary is not None else 1.5 * rng.standard_normal(shape)
    return params, state, jnp.asarray(X)


def network(case: Case) -> Sequential:
    """The case's layer in the middle of a small classifier (first, for token ids)."""
    if case.vocabulary is not None:
        return Sequential(case.layer, Flatten(), Dense(3, "glorot_normal"))
    width = case.in_shape[-1]
    return Sequential(Dense(width, "glorot_normal"), Activation("tanh"), case.layer, Flatten(), Dense(3, "glorot_normal"))
