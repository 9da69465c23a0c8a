"""Check a hand-derived backward pass alone and in the middle of a network."""

import chex
import jax
import jax.numpy as jnp
import numpy as np

from fnn import losses
from fnn.layers import dense
from fnn.util import random_draws
from reference import gradcheck

TIGHT = {"rtol": 1e-10, "atol": 1e-12}


def assert_close(actual, expected, rtol=TIGHT["rtol"], atol=TIGHT["atol"]):
    """One tree structure and allclose leaves (``chex.assert_trees_all_close``), by default at ``TIGHT``."""
    chex.assert_trees_all_close(actual, expected, rtol=rtol, atol=atol)


def random_cotangent(key, shape):
    """A random upstream gradient (never ones: ones hide errors that sum to zero)."""
    return random_draws.normal(key, shape, jnp.float64)


def assert_matches_vjp(f, args, hand_backward, key):
    """hand_backward(dY) must equal jax.vjp(f, *args) for a random dY."""
    out, vjp = jax.vjp(f, *args)
    dY = random_cotangent(key, out.shape)
    hand = hand_backward(dY)
    assert_close(hand, vjp(dY))
    return dY, hand


def assert_matches_finite_differences(f, args, hand, dY, tolerance):
    numeric = gradcheck.numerical_gradient(lambda a: jnp.sum(dY * f(*a)), tuple(args))
    assert gradcheck.max_relative_error(hand, numeric) <= tolerance


def assert_same_gradient_in_a_network(piece_auto, piece_hand, piece_params, width_in, width_out, key):
    """X -> dense -> tanh -> piece -> dense -> cross-entropy: the grads w.r.t. every
    parameter and the input agree whether the piece differentiates by autodiff or by hand."""
    k1, k2, k3, k4 = jax.random.split(key, 4)
    first = dense.DenseParams(random_draws.normal(k1, (5, width_in), jnp.float64), jnp.linspace(-0.5, 0.5, width_in))
    last = dense.DenseParams(random_draws.normal(k2, (width_out, 3), jnp.float64), jnp.linspace(-0.3, 0.3, 3))
    X = random_draws.normal(k3, (7, 5), jnp.float64)
    y = jax.random.randint(k4, (7,), 0, 3)

    def network(piece):
        def loss(theta, X):
            p1, p_piece, p2 = theta
            h = piece(p_piece, jnp.tanh(dense.apply(p1, X)))
            return losses.softmax_cross_entropy(dense.apply(p2, h), y)

        return jax.grad(loss, argnums=(0, 1))

    theta = (first, piece_params, last)
    auto, hand = network(piece_auto)(theta, X), network(piece_hand)(theta, X)
    assert_close(hand, auto)
    assert np.max(np.abs(np.asarray(hand[1]))) > 0  # the input gradient flowed through the piece
