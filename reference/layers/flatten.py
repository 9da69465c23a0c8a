r"""Flatten backward: the gradient takes the input's shape back, dX = reshape(dY, X.shape)."""

from __future__ import annotations

from fnn.layers import flatten as ff


def rule_forward(layer: ff.Flatten, params, state, X, *, key):
    return ff.apply(X), state, X.shape


def rule_backward(layer: ff.Flatten, shape, dY):
    return (), dY.reshape(shape)
