r"""Two-dimensional test functions for optimizers, and a runner that records a trajectory.

Each function maps x (2,) to a scalar; ``MINIMA`` gives its minimiser (None for the saddle).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

from fnn.util import validate


def ill_conditioned_quadratic(x):
    """f = (x^2 + 20 y^2) / 2: condition number 20, the valley that makes SGD zig-zag."""
    return 0.5 * (x[0] ** 2 + 20 * x[1] ** 2)


def rosenbrock(x):
    """f = (1 - x)^2 + 100 (y - x^2)^2: a curved, flat-bottomed valley; minimum at (1, 1)."""
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def beale(x):
    """f = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2; minimum at (3, 0.5)."""
    a, b = x
    return (1.5 - a + a * b) ** 2 + (2.25 - a + a * b**2) ** 2 + (2.625 - a + a * b**3) ** 2


def saddle(x):
    """f = x^2 - y^2: a saddle at the origin, where plain gradient descent stalls."""
    return x[0] ** 2 - x[1] ** 2


FUNCTIONS = {
    "ill-conditioned quadratic": (ill_conditioned_quadratic, (-4.0, 1.5), ((-5, 5), (-2, 2))),
    "rosenbrock": (rosenbrock, (-1.5, 2.0), ((-2, 2), (-1, 3))),
    "beale": (beale, (1.0, 1.5), ((-1, 4.5), (-1.5, 2))),
    "saddle": (saddle, (-2.0, 1e-3), ((-2.5, 2.5), (-1.5, 1.5))),
}
"""name -> (f, start point, plot box ((x_min, x_max), (y_min, y_max)))."""

MINIMA = {"ill-conditioned quadratic": (0.0, 0.0), "rosenbrock": (1.0, 1.0), "beale": (3.0, 0.5), "saddle": None}


def trajectory(optimizer: optax.GradientTransformation, f, x0, *, steps: int):
    """Run ``optimizer`` on ``f`` from ``x0`` for ``steps`` steps; return the (steps + 1, D) iterates."""
    steps = validate.integer("trajectory", "steps", steps)
    x0 = jnp.asarray(x0)

    def step(carry, _):
        x, state = carry
        updates, state = optimizer.update(jax.grad(f)(x), state, x)
        x = optax.apply_updates(x, updates)
        return (x, state), x

    xs = jax.jit(lambda x: jax.lax.scan(step, (x, optimizer.init(x)), length=steps)[1])(x0)
    return jnp.concatenate([x0[None], xs])
