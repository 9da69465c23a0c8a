r"""Centred finite differences over a parameter pytree, and a relative-error report.

Math:
    df/dtheta_i ~ (f(theta + eps e_i) - f(theta - eps e_i)) / (2 eps),  error O(eps^2).
    relative error of a against b = max|a - b| / max(max|a|, max|b|), maxima over the
    whole pytree (0 when both are 0): a norm-wise measure that stays meaningful for
    entries, and whole leaves, whose true value is near zero.

Use float64: in float32 the rounding error of the difference quotient (~1e-7 / eps)
swamps everything.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from fnn.util import validate

AUTODIFF_TOLERANCE = 1e-10
"""Largest relative error of a hand-derived gradient against ``jax.vjp`` (both exact up to rounding)."""
SMOOTH_TOLERANCE = 1e-7
"""Against centred differences of a smooth function: eps^2 truncation plus rounding / eps."""
KINK_TOLERANCE = 1e-4
"""Against centred differences of a function with kinks (an input within eps of a kink moves it)."""


def numerical_gradient(f, params, *, eps: float = 1e-6, chunk: int = 256):
    """Centred-difference gradient of scalar ``f(params)``, shaped like ``params``.

    All 2 P perturbed evaluations run vectorised, ``chunk`` at a time, in one compiled program
    (flattening and unflattening included: eager, each would compile on its own).
    """
    validate.number_in("numerical_gradient", "eps", eps, 0.0, low_open=True)
    validate.floating("numerical_gradient", "params", jax.eval_shape(lambda p: ravel_pytree(p)[0], params))

    @jax.jit
    def gradient(params):
        flat, unravel = ravel_pytree(params)

        def difference(i):
            e = jnp.zeros_like(flat).at[i].set(eps)
            return (f(unravel(flat + e)) - f(unravel(flat - e))) / (2 * eps)

        indices = jnp.arange(flat.size)
        if flat.size <= chunk:
            return unravel(jax.vmap(difference)(indices))
        return unravel(jax.lax.map(difference, indices, batch_size=chunk))

    return gradient(params)


def _max_abs(x) -> float:
    return float(np.max(np.abs(x), initial=0.0))


def report(a, b) -> dict[str, float]:
    """Relative error of every leaf of ``a`` against ``b``, keyed by its pytree path.

    Each leaf's max|a - b| is divided by the largest magnitude in either whole tree, so a
    leaf whose true gradient is 0 (where differences leave ~1e-10 of rounding) is
    judged on the scale of the gradient it belongs to.
    """
    leaves_a, tree_a = jax.tree_util.tree_flatten_with_path(a)
    leaves_b, tree_b = jax.tree_util.tree_flatten(b)
    if tree_a != tree_b:
        raise ValueError(f"report: expected two pytrees of one structure, got {tree_a} and {tree_b}")
    leaves_a = [(path, np.asarray(x)) for path, x in leaves_a]
    leaves_b = [np.asarray(y) for y in leaves_b]
    for (path, x), y in zip(leaves_a, leaves_b):
        if x.shape != y.shape:
            raise ValueError(
                f"report: expected leaves of one shape at {jax.tree_util.keystr(path)}, "
                f"got {x.shape} and {y.shape}"
            )
    scale = max([_max_abs(x) for x in (*[leaf for _, leaf in leaves_a], *leaves_b)], default=0.0)
    return {
        jax.tree_util.keystr(path) or "<root>": _max_abs(x - y) / scale if scale else 0.0
        for (path, x), y in zip(leaves_a, leaves_b)
    }


def max_relative_error(a, b) -> float:
    """max|a - b| / max(max|a|, max|b|) over whole pytrees (0 when both are zero)."""
    return max(report(a, b).values(), default=0.0)
