"""Wrap a hand-derived (forward, backward) pair as a ``jax.custom_vjp`` function.

The wrapped function computes what ``forward`` computes, and under ``jax.grad`` /
``jax.vjp`` its backward pass is the hand-derived ``backward``: any network built from
wrapped pieces trains on the lecture formulas.
"""

from __future__ import annotations

import inspect

import jax


def custom_vjp(forward, backward):
    """Return ``f(*args)`` whose value is ``forward(*args)[0]`` and whose VJP is ``backward``.

    Args:
        forward: ``forward(*args) -> (Y, cache)``.
        backward: ``backward(cache, dY)`` returning the cotangent of the single argument
            for a one-argument ``forward``, else a tuple with one cotangent per argument
            (e.g. ``(dparams, dX)``).
    """

    single = len(inspect.signature(forward).parameters) == 1

    @jax.custom_vjp
    def f(*args):
        return forward(*args)[0]

    def fwd(*args):
        return forward(*args)

    def bwd(cache, dY):
        grads = backward(cache, dY)
        return (grads,) if single else tuple(grads)

    f.defvjp(fwd, bwd)
    return f
