r"""Check a backward rule you wrote for a layer of your own: ``reference.check(layer, rule, in_shape)``.

A layer follows the protocol of ``fnn.layers`` (``init(key, in_shape, dtype=)`` ->
``(out_shape, params, state)``, ``apply(params, state, X, *, train, key)`` -> ``(Y, state)``,
``weight_mask``); its rule is a ``reference.backprop.Rule`` of

    forward(layer, params, state, X, *, key) -> (Y, state, cache)
    backward(layer, cache, dY) -> (dparams, dX).

``check`` draws float64 parameters (moved off their initial values), a batch X and a random
upstream gradient dY (never all ones, which would hide a transposed or summed axis), and
compares the rule's dparams and dX, leaf by leaf:
    alone:             with jax.vjp of the layer's training-mode apply, and with centred
                       finite differences of <dY, f(params, X)>;
    special points:    inputs holding exactly 0, +1e4 and -1e4 (and ``points``, e.g. a
                       kink), with jax.vjp;
    inside a network:  X -> Dense -> tanh -> layer -> Flatten -> Dense -> cross-entropy,
                       ``reference.backprop.value_and_grad`` with the rule against jax.grad.
Each row gives the largest absolute difference, the relative error max|a - b| / the largest
magnitude in either whole gradient (``reference.gradcheck.report``), and a verdict: exact
(equal), allclose (within ``reference.gradcheck``'s tolerances: 1e-10 against autodiff, 1e-7
against finite differences, 1e-4 at a kink) or WRONG. A float32 check is refused: the
rounding of a finite difference (about 1e-7 / eps) would swamp every error it should find.
"""

from __future__ import annotations

import contextlib
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from fnn import tasks
from fnn.objective import Objective
from fnn.train import autodiff
from reference import backprop, cases, gradcheck

SPECIAL_POINTS = (0.0, 1e4, -1e4)
"""Input values where a rule and autodiff can part: exactly 0 and large magnitudes."""


class Row(NamedTuple):
    """One leaf of one comparison: where, which leaf, the largest absolute difference, the
    relative error and the tolerance it is held to."""

    comparison: str
    leaf: str
    max_abs: float
    relative: float
    tolerance: float

    @property
    def verdict(self) -> str:
        return "exact" if self.max_abs == 0 else "allclose" if self.relative <= self.tolerance else "WRONG"


class Report(NamedTuple):
    """Every row of a check; ``ok`` when none is wrong. ``str(report)`` is the table."""

    name: str
    rows: tuple

    @property
    def ok(self) -> bool:
        return all(row.verdict != "WRONG" for row in self.rows)

    def __str__(self) -> str:
        lines = [f"{self.name}: {'every gradient agrees' if self.ok else 'WRONG gradients below'}",
                 f"{'comparison':<26} {'leaf':<14} {'max abs diff':>12} {'relative':>10}  verdict"]
        lines += [f"{r.comparison:<26} {r.leaf:<14} {r.max_abs:>12.2e} {r.relative:>10.2e}  {r.verdict}"
                  for r in self.rows]
        return "\n".join(lines)


def check(layer, rule: backprop.Rule, in_shape, *, kinked: bool = False, points=(), key=None,
          name: str | None = None) -> Report:
    """Check ``rule`` (a ``Rule`` or a pair of functions), the hand-derived backward of ``layer``, on
    inputs of shape ``in_shape`` (one sample) against autodiff and finite differences (module
    docstring); return the ``Report`` (``print`` it for the table). ``kinked``: the layer has
    kinks, so finite differences are held to 1e-4; ``points``: more input values to try.

    Raises:
        ValueError: float64 is not enabled; the rule's gradient is not shaped like the parameters
            and the input (naming the leaf).
        TypeError: ``rule`` is no ``Rule`` of two functions.
    """
    if not jax.config.jax_enable_x64:
        raise ValueError("check: expected float64 (call jax.config.update('jax_enable_x64', True) first): in float32 "
                         "the rounding of a finite difference, about 1e-7 / eps, swamps the errors a check should find")
    if not (isinstance(rule, tuple) and len(rule) == 2 and all(callable(part) for part in rule)):
        raise TypeError(f"check: expected a reference.backprop.Rule(forward, backward) of two functions, got {rule!r}")
    rule = backprop.Rule(*rule)
    case = cases.Case(name or type(layer).__name__, layer, tuple(in_shape), kinked)
    with _registered(layer, rule):
        rows = compare(case, jax.random.key(0) if key is None else key, points=tuple(points))
    return Report(case.name, tuple(rows))


def compare(case: cases.Case, key, *, points: tuple | None = None) -> list[Row]:
    """Every comparison of one case, with the rules of ``reference.backprop.RULES``: alone against
    autodiff and finite differences, at the special points and ``points`` (none when ``points``
    is None: fnn's own cases keep their inputs away from kinks), and inside a network."""
    rows = _alone(case, key)
    if points is not None:
        rows += _special(case, points, jax.random.fold_in(key, 4))
    return rows + _inside(case, jax.random.fold_in(key, 6))


@contextlib.contextmanager
def _registered(layer, rule):
    """The rule in ``reference.backprop.RULES`` for the layer's type while the block runs."""
    kind, before = type(layer), backprop.RULES.get(type(layer))
    backprop.RULES[kind] = backprop.Rule(*rule)
    try:
        yield
    finally:
        if before is None:
            del backprop.RULES[kind]
        else:
            backprop.RULES[kind] = before


def _vjps(case, params, state, X, key):
    """(autodiff's, the rule's) gradients at (params, X) for a random dY, dY and the layer's f;
    the gradients are (dparams, dX), or (dparams,) for a layer on token ids."""
    ids = case.vocabulary is not None

    def f(p, x):
        return case.layer.apply(p, state, x, train=True, key=key)[0]

    @jax.jit
    def both(p, x, dy):
        _, _, cache = backprop.forward(case.layer, p, state, x, key=key)
        hand = backprop.backward(case.layer, cache, dy)
        auto = jax.vjp(lambda p_: f(p_, x), p)[1](dy) if ids else jax.vjp(f, p, x)[1](dy)
        return auto, hand

    Y = jax.eval_shape(f, params, X)
    dY = jnp.asarray(cases.generator(jax.random.fold_in(key, 1)).standard_normal(Y.shape))
    auto, hand = both(params, X, dY)
    _check_structure(hand, auto)  # auto: (dparams,) alone for a layer on token ids
    return auto, tuple(hand)[:len(auto)], dY, f


def _check_structure(hand, auto) -> None:
    """The rule's (dparams, dX) has the tree, shapes and dtypes of (params, X); else a ValueError naming the leaf."""
    if not (isinstance(hand, (tuple, list)) and len(hand) == 2):
        raise ValueError(f"check: expected the rule's backward to return (dparams, dX), got {type(hand).__name__}")
    for part, mine, theirs in zip(("dparams", "dX"), hand, auto):
        if jax.tree.structure(mine) != jax.tree.structure(theirs):
            raise ValueError(f"check: expected {part} with the structure {jax.tree.structure(theirs)}, got "
                             f"{jax.tree.structure(mine)}")
        for (path, a), b in zip(jax.tree_util.tree_flatten_with_path(mine)[0], jax.tree.leaves(theirs)):
            leaf = part + jax.tree_util.keystr(path)
            if jnp.shape(a) != jnp.shape(b) or jnp.result_type(a) != jnp.result_type(b):
                raise ValueError(f"check: expected {leaf} of shape {jnp.shape(b)} and dtype {jnp.result_type(b)} (like "
                                 f"the value it is the gradient of), got shape {jnp.shape(a)}, dtype {jnp.result_type(a)}")


def _gradient_leaf(path: str) -> str:
    """A leaf of (dparams, dX) by name: ``[0].w`` -> ``dparams.w``, ``[1]`` -> ``dX``."""
    return ("dparams" if path.startswith("[0]") else "dX") + path[3:]


def _rows(comparison: str, hand, other, tolerance: float, leaf_name=_gradient_leaf) -> list[Row]:
    """One row per leaf of the gradient: its largest difference and its error on the whole gradient's scale."""
    relative = gradcheck.report(hand, other)
    names = [leaf_name(path) for path in relative]
    return [Row(comparison, name, float(np.max(np.abs(np.asarray(a) - np.asarray(b)), initial=0.0)), error, tolerance)
            for name, error, a, b in zip(names, relative.values(), jax.tree.leaves(hand), jax.tree.leaves(other))]


def _alone(case, key) -> list[Row]:
    params, state, X = cases.draw(case.layer, case, key)
    auto, hand, dY, f = _vjps(case, params, state, X, jax.random.fold_in(key, 2))
    wrt = (params,) if case.vocabulary is not None else (params, X)
    numeric = gradcheck.numerical_gradient(lambda a: jnp.sum(dY * f(a[0], X if len(a) == 1 else a[1])), wrt)
    finite = gradcheck.KINK_TOLERANCE if case.kinked else gradcheck.SMOOTH_TOLERANCE
    return [*_rows("alone vs autodiff", hand, auto, gradcheck.AUTODIFF_TOLERANCE),
            *_rows("alone vs finite diff", hand, numeric, finite)]


def _special(case, points, key) -> list[Row]:
    """At an input holding every special point: value k at sample k mod N, entry k // N."""
    params, state, X = cases.draw(case.layer, case, key)
    values = (*SPECIAL_POINTS, *points)
    flat = X.reshape(len(X), -1)
    if len(values) > flat.size:
        raise ValueError(f"check: expected at most {flat.size - len(SPECIAL_POINTS)} points for inputs of shape "
                         f"{case.in_shape} (a batch of {len(X)}), got {len(points)}")
    for k, value in enumerate(values):
        flat = flat.at[k % len(X), k // len(X)].set(value)
    auto, hand, _, _ = _vjps(case, params, state, flat.reshape(X.shape), jax.random.fold_in(key, 5))
    return _rows("at 0, +-1e4" + (" and points" if points else ""), hand, auto, gradcheck.AUTODIFF_TOLERANCE)


def _inside(case, key) -> list[Row]:
    """Every parameter's gradient of a small classifier with the layer in its middle (``net[2]``;
    ``net[0]`` for a layer on token ids), so a wrong dX shows in the layers below it."""
    model = cases.network(case)
    k_draw, k_y, k_drop = jax.random.split(key, 3)
    params, state, X = cases.draw(model, case, k_draw)
    y = jnp.asarray(cases.generator(k_y).integers(0, 3, len(X)))
    objective = Objective(model, tasks.Classification())
    gradients = jax.jit(lambda *args: (autodiff(objective)(*args)[1], backprop.value_and_grad(objective)(*args)[1]))
    auto, hand = gradients(params, state, (X, y), k_drop)
    return _rows("in a network vs autodiff", hand, auto, gradcheck.AUTODIFF_TOLERANCE, lambda path: "net" + path)
