r"""Second-order and full-batch methods for small problems: Newton, coordinate descent, L-BFGS.

Each takes a scalar function f of one parameter vector x (D,) and returns a ``Path``:
every iterate and its value, so a run can be plotted or checked step by step.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from fnn.util import validate


class Path(NamedTuple):
    """Iterates x_0..x_K (K + 1, D) and values f(x_k) (K + 1,)."""

    x: jax.Array
    values: jax.Array


def _check(where: str, x0, steps: int):
    validate.ndim(where, "x0", x0, 1, "optimise a flat parameter vector")
    validate.floating(where, "x0", x0)
    validate.integer(where, "steps", steps)


def _path(f, x0, xs):
    xs = jnp.concatenate([x0[None], xs])
    return Path(xs, jax.vmap(f)(xs))


def newton(f, x0, *, steps: int, learning_rate: float = 1.0, damping: float = 0.0) -> Path:
    r"""Newton's method, x = x - eta (H + lambda I)^-1 g.

    Math:
        g = grad f(x), H = hess f(x); one step minimises the local quadratic model exactly
        (eta = 1 reaches the minimum of a quadratic in one step). ``damping`` lambda >= 0
        regularises an indefinite or ill-conditioned H (Levenberg).
    """
    _check("newton", x0, steps)
    validate.number_in("newton", "learning_rate", learning_rate, 0.0, low_open=True)
    validate.number_in("newton", "damping", damping, 0.0)
    grad, hess = jax.grad(f), jax.hessian(f)

    def step(x, _):
        H = hess(x) + damping * jnp.eye(x.shape[0], dtype=x.dtype)
        x = x - learning_rate * jnp.linalg.solve(H, grad(x))
        return x, x

    return _path(f, x0, jax.lax.scan(step, x0, length=steps)[1])


def coordinate_descent(f, x0, *, sweeps: int, learning_rate: float | None = None) -> Path:
    r"""Cyclic coordinate descent: minimise along x_1, then x_2, ..., one coordinate at a time.

    Math:
        for i = 1..D:  x_i = x_i - d_i f / d_ii f   (exact line minimum along e_i for a quadratic)
        or, with ``learning_rate`` eta:  x_i = x_i - eta d_i f.
        For a quadratic this is Gauss-Seidel. The path records x after every sweep.
    """
    _check("coordinate_descent", x0, sweeps)
    if learning_rate is not None:
        validate.number_in("coordinate_descent", "learning_rate", learning_rate, 0.0, low_open=True)
    grad = jax.grad(f)

    def coordinate(x, i):
        e = jnp.zeros_like(x).at[i].set(1.0)
        slope = jnp.vdot(grad(x), e)
        if learning_rate is not None:
            return x - learning_rate * slope * e, None
        curvature = jax.jvp(lambda x: jnp.vdot(grad(x), e), (x,), (e,))[1]
        return x - slope / curvature * e, None

    def sweep(x, _):
        x = jax.lax.scan(coordinate, x, jnp.arange(x.shape[0]))[0]
        return x, x

    return _path(f, x0, jax.lax.scan(sweep, x0, length=sweeps)[1])


def lbfgs(f, x0, *, steps: int, memory_size: int = 10) -> Path:
    r"""Full-batch L-BFGS with a zoom line search (Wolfe conditions), wrapping ``optax.lbfgs``.

    Math:
        x = x - eta_k H_k g, H_k the inverse-Hessian estimate from the last m pairs
        (s = x_{k+1} - x_k, y = g_{k+1} - g_k) by the two-loop recursion; eta_k from the line search.
    """
    _check("lbfgs", x0, steps)
    optimizer = optax.lbfgs(memory_size=validate.integer("lbfgs", "memory_size", memory_size))
    value_and_grad = optax.value_and_grad_from_state(f)

    def step(carry, _):
        x, state = carry
        value, grad = value_and_grad(x, state=state)
        updates, state = optimizer.update(grad, state, x, value=value, grad=grad, value_fn=f)
        x = optax.apply_updates(x, updates)
        return (x, state), x

    with jax.numpy_dtype_promotion("standard"):  # optax's line search mixes dtypes
        xs = jax.jit(lambda x: jax.lax.scan(step, (x, optimizer.init(x)), length=steps)[1])(x0)
    return _path(f, x0, xs)
