r"""Backward rules of the activation layers: dA/dZ is elementwise g'(Z), maxout routes to the winner.

Math:
    A = g(Z)           ->  dZ = dA * g'(Z)                      (``reference.activations``)
    A = maxout(Z)      ->  dZ = dA at the winning piece of each group, 0 elsewhere
"""

from __future__ import annotations

from fnn import activations as fa
from fnn.layers import activation as fl
from reference import activations as ra


def activation_forward(layer: fl.Activation, params, state, X, *, key):
    return fa.get(layer.name)(X), state, X


def activation_backward(layer: fl.Activation, Z, dA):
    return (), dA * ra.derivative(layer.name)(Z)


def maxout_forward(layer: fl.Maxout, params, state, X, *, key):
    A = fa.maxout(X, pieces=layer.pieces)
    return A, state, ra.ActivationCache(X, A)


def maxout_backward(layer: fl.Maxout, cache: ra.ActivationCache, dA):
    return (), ra.maxout_backward(cache, dA, pieces=layer.pieces)
