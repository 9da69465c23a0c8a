"""Max pooling at ties (the case table checks the rules on inputs without ties)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn.layers import Activation, Dense, MaxPool, Sequential, Unpooled
from fnn.util import random_draws
from reference import backprop
from reference.layers import pool as rpool
from tests.reference import harness

TIED = [  # (layer, sample shape)
    (MaxPool(2), (6, 6, 3)),
    (MaxPool(3, stride=2, padding=1), (7, 6, 2)),
    (MaxPool(3, stride=2, padding="same"), (9, 4)),
    (Unpooled(Sequential(Dense(3, "glorot_normal"), Activation("tanh")), 2), (6, 6, 3)),
    (Unpooled(Activation("tanh"), 3, stride=2, padding=1), (8, 2)),
]


def tied_inputs(key, in_shape):
    """relu of rounded normals: many exact zeros and repeated integers inside the windows."""
    return jax.nn.relu(jnp.round(2 * random_draws.normal(key, (4, *in_shape), jnp.float64)))


@pytest.mark.parametrize("layer, in_shape", TIED, ids=str)
def test_the_rule_and_autodiff_agree_exactly_at_ties(layer, in_shape, key):
    _, params, state = layer.init(key, in_shape, dtype=jnp.float64)
    X = tied_inputs(jax.random.fold_in(key, 1), in_shape)
    Y, vjp = jax.vjp(lambda p, X: layer.apply(p, state, X, train=True)[0], params, X)
    dY = harness.random_cotangent(jax.random.fold_in(key, 2), Y.shape)

    @jax.jit
    def hand(params, X, dY):
        Y, _, cache = backprop.forward(layer, params, state, X)
        return Y, backprop.backward(layer, cache, dY)

    Y_hand, grads = hand(params, X, dY)
    auto = vjp(dY)
    harness.assert_close((Y_hand, grads), (Y, auto))  # the tanh body rounds differently under jit
    np.testing.assert_array_equal(grads[1] == 0, auto[1] == 0)  # the same inputs receive a gradient
    if isinstance(layer, MaxPool):
        np.testing.assert_array_equal(grads[1], auto[1])


def test_the_first_maximum_of_a_tied_window_takes_the_whole_gradient():
    layer = MaxPool(2)
    X = jnp.zeros((1, 2, 4, 1)).at[0, 1, 3, 0].set(-1.0)  # two windows: all zeros, and zeros with one -1
    dY = jnp.array([2.0, 3.0]).reshape(1, 1, 2, 1)
    _, _, cache = backprop.forward(layer, (), (), X)
    _, dX = backprop.backward(layer, cache, dY)
    np.testing.assert_array_equal(dX[0, :, :, 0], [[2.0, 0.0, 3.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(jax.vjp(lambda X: layer.apply((), (), X, train=True)[0], X)[1](dY)[0], dX)


def test_reading_at_the_switches_is_the_adjoint_of_routing_to_them(key):
    """<S_a^T G, H> = <G, S_a H>: max-unpooling's forward and backward are one map and its transpose."""
    layer = MaxPool(3, stride=2, padding=1)
    X = tied_inputs(key, (7, 6, 2))
    Y, switches = rpool.pool_forward(layer, X)
    G = harness.random_cotangent(jax.random.fold_in(key, 1), Y.shape)
    H = harness.random_cotangent(jax.random.fold_in(key, 2), X.shape)
    left = jnp.vdot(rpool.to_switches(layer, switches, G), H)
    np.testing.assert_allclose(left, jnp.vdot(G, rpool.at_switches(layer, switches, H)), rtol=1e-13)
    np.testing.assert_array_equal(rpool.at_switches(layer, switches, X), Y)  # pooling = reading X at its switches
