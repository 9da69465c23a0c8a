r"""Search spaces: the values a setting may take, the grid over them, random draws, and narrowing.

A space maps a setting's name to a dimension:

- ``Grid(values)``: exactly these values (a grid's axis; random search draws among them);
- ``Uniform(low, high)``: low + u (high - low), u ~ U(0, 1);
- ``LogUniform(low, high)``: exp(log low + u (log high - log low)), for rates and strengths
  that matter by their order of magnitude (the lecture's 10^U(-6, -1));
- ``integer=True`` on either range rounds each value to an int (widths, batch sizes).

``grid(space, points=K)`` is the product of every axis, a range contributing K evenly spaced
values (evenly in log space for log-uniform); ``sample(key, space, n)`` draws n settings
independently. Coarse-to-fine search repeats: search, keep the best trials,
``narrow(space, best)``, search again in the smaller space.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import jax
import numpy as np

from fnn.run.settings import is_number
from fnn.util import validate


@dataclasses.dataclass(frozen=True)
class Grid:
    """Exactly these values."""

    values: tuple

    def __post_init__(self):
        object.__setattr__(self, "values", tuple(self.values))
        if not self.values:
            raise ValueError("Grid: expected at least one value, got none")


@dataclasses.dataclass(frozen=True)
class Uniform:
    """Values spread evenly over [low, high]; ``integer`` rounds them."""

    low: float
    high: float
    integer: bool = False
    log = False

    def __post_init__(self):
        name = type(self).__name__
        for bound in ("low", "high"):
            value = getattr(self, bound)
            if not is_number(value) or not math.isfinite(value):
                raise TypeError(f"{name}: expected {bound} to be a finite number, got {value!r}")
            validate.number_in(name, bound, value, 0.0 if self.log else None, low_open=self.log)
        if self.low > self.high:
            raise ValueError(f"{name}: expected low <= high, got low={self.low}, high={self.high}")

    def to_unit(self, value: float) -> float:
        """The coordinate in which the values are spread evenly: the value, or its log."""
        return math.log(value) if self.log else float(value)

    def from_unit(self, coordinate: float):
        return self._kind(math.exp(coordinate) if self.log else coordinate)

    def at(self, fractions) -> list:
        """The values at ``fractions`` (each in [0, 1]) of the way from low to high, in the even coordinate."""
        low, high = self.to_unit(self.low), self.to_unit(self.high)
        ends = {0.0: self.low, 1.0: self.high}  # exactly the bounds, not exp(log(bound))
        clipped = [min(max(float(f), 0.0), 1.0) for f in fractions]
        return [self._kind(ends[f]) if f in ends else self.from_unit(low + f * (high - low)) for f in clipped]

    def _kind(self, value):
        return int(round(value)) if self.integer else float(value)


@dataclasses.dataclass(frozen=True)
class LogUniform(Uniform):
    """Values spread evenly in log space over [low, high] (both positive)."""

    log = True


def _check_space(where: str, space: dict) -> None:
    if not isinstance(space, dict) or not space:
        raise ValueError(f"{where}: expected a dict of setting name -> Grid, Uniform or LogUniform, got {space!r}")
    for name, dimension in space.items():
        if not isinstance(dimension, (Grid, Uniform)):
            raise TypeError(f"{where}: expected {name} to be a Grid, Uniform or LogUniform, "
                            f"got {type(dimension).__name__}")


def grid(space: dict, *, points: int = 3) -> list[dict]:
    """Every combination of the axes' values, a range giving ``points`` evenly spaced values
    (ends included; evenly in log space for ``LogUniform``). The first setting varies slowest."""
    _check_space("grid", space)
    points = validate.integer("grid", "points", points, 1)
    fractions = [0.5] if points == 1 else [k / (points - 1) for k in range(points)]
    axes = [list(dict.fromkeys(d.values if isinstance(d, Grid) else d.at(fractions))) for d in space.values()]
    return [dict(zip(space, values)) for values in itertools.product(*axes)]


def sample(key, space: dict, n: int) -> list[dict]:
    """``n`` settings drawn independently: each range by its distribution, each grid uniformly
    among its values. Each setting draws from its own ``jax.random.fold_in(key, index)``."""
    _check_space("sample", space)
    n = validate.integer("sample", "n", n, 1)
    columns = []
    for index, dimension in enumerate(space.values()):
        u = np.asarray(jax.random.uniform(jax.random.fold_in(key, index), (n,)))
        if isinstance(dimension, Grid):
            picks = np.minimum((u * len(dimension.values)).astype(int), len(dimension.values) - 1)
            columns.append([dimension.values[i] for i in picks])
        else:
            columns.append(dimension.at(u))
    return [dict(zip(space, values)) for values in zip(*columns)]


def narrow(space: dict, best: list[dict], *, shrink: float = 0.5) -> dict:
    """A smaller space around the ``best`` settings, for the next round of coarse-to-fine search.

    Each range becomes the span of the best trials' values, widened to at least ``shrink``
    times its old width (in the log coordinate for ``LogUniform``), centred on that span and
    kept inside the old range; a grid keeps the values the best trials used.

    Math (coordinate t = x or log x): [a, b] = [min t_best, max t_best];
        w = max(b - a, shrink (t_high - t_low));  new range = [c - w/2, c + w/2] moved inside
        [t_low, t_high], c = (a + b) / 2.
    """
    _check_space("narrow", space)
    validate.number_in("narrow", "shrink", shrink, 0.0, 1.0, low_open=True)
    if not best:
        raise ValueError("narrow: expected the settings of at least one best trial, got none")
    narrowed = {}
    for name, dimension in space.items():
        values = [setting[name] for setting in best]
        if isinstance(dimension, Grid):
            narrowed[name] = Grid(tuple(v for v in dimension.values if v in values))
            continue
        low, high = dimension.to_unit(dimension.low), dimension.to_unit(dimension.high)
        a, b = min(map(dimension.to_unit, values)), max(map(dimension.to_unit, values))
        width = max(b - a, shrink * (high - low))
        start = min(max((a + b) / 2 - width / 2, low), high - width)
        close = 1e-9 * (high - low)  # a bound reached is kept exactly, not exp(log(bound))
        new_low = dimension.low if start <= low + close else dimension.from_unit(start)
        new_high = dimension.high if start + width >= high - close else dimension.from_unit(start + width)
        narrowed[name] = type(dimension)(new_low, max(new_high, new_low), dimension.integer)
    return narrowed
