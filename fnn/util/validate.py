"""Argument checks shared by every public function.

Each check raises ``ValueError`` or ``TypeError`` with a message of the form
``"<where>: expected <what>, got <received>"`` so the user learns which function and
which argument is wrong. Checks look only at static properties (shapes, dtypes, Python
numbers) or at values that are concrete, so they are safe to call under ``jax.jit``.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable

import jax
import numpy as np


def ndim(where: str, name: str, x, expected: int, hint: str = "") -> None:
    """Raise ValueError unless ``x.ndim == expected``."""
    if np.ndim(x) != expected:
        raise ValueError(
            f"{where}: expected {name} with {expected} dimensions, got {name}.shape="
            f"{tuple(np.shape(x))}{'; ' + hint if hint else ''}"
        )


def floating(where: str, name: str, x) -> None:
    """Raise TypeError unless ``x`` has a floating dtype."""
    dtype = x.dtype if hasattr(x, "dtype") else np.result_type(x)
    if not jax.numpy.issubdtype(dtype, jax.numpy.floating):  # NumPy's test misses bfloat16
        raise TypeError(f"{where}: expected {name} with a floating dtype, got dtype={dtype}")


def choice(where: str, name: str, value, choices: Iterable) -> None:
    """Raise ValueError unless ``value`` is one of ``choices``."""
    choices = sorted(choices)
    if value not in choices:
        raise ValueError(
            f"{where}: unknown {name} {value!r}; expected one of {', '.join(map(str, choices))}"
        )


def lookup(where: str, kind: str, name, table: dict):
    """Return ``table[name]``, or raise ValueError naming the valid keys."""
    choice(where, kind, name, table)
    return table[name]


def number_in(
    where: str,
    name: str,
    value,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> None:
    """Check a hyperparameter against an interval when it is a plain Python number.

    Arrays and tracers (``optax.inject_hyperparams`` passes hyperparameters as arrays)
    and callables (schedules) are accepted unchecked.
    """
    if callable(value) or not isinstance(value, numbers.Real) or isinstance(value, bool):
        if isinstance(value, bool):
            raise TypeError(f"{where}: expected {name} to be a number, got {value!r}")
        return
    below = low is not None and (value <= low if low_open else value < low)
    above = high is not None and (value >= high if high_open else value > high)
    if below or above or value != value:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        lo = "-inf" if low is None else f"{low:g}" if isinstance(low, float) else str(low)
        hi = "inf" if high is None else f"{high:g}" if isinstance(high, float) else str(high)
        raise ValueError(f"{where}: expected {name} in {left}{lo}, {hi}{right}, got {value!r}")


def integer(where: str, name: str, value, low: int = 1, high: int | None = None) -> int:
    """``value`` as a Python int, or a ValueError unless it is an integer (a NumPy one too) in [low, high]."""
    if not isinstance(value, numbers.Integral) or isinstance(value, (bool, np.bool_)) or value < low or (
            high is not None and value > high):
        wanted = "a positive int" if (low, high) == (1, None) else (
            f"an int >= {low}" if high is None else f"an int in [{low}, {high}]")
        raise ValueError(f"{where}: expected {name} to be {wanted}, got {value!r}")
    return int(value)


def boolean(where: str, name: str, value) -> bool:
    """``value`` as a Python bool, or a TypeError unless it is one (a NumPy bool too)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{where}: expected {name} to be True or False, got {value!r}")
    return bool(value)


def concrete(x) -> np.ndarray | None:
    """Return ``x`` as a NumPy array, or None when it is a tracer inside a transformation."""
    try:
        return np.asarray(x)
    except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError):
        return None


def labels(where: str, y, num_classes: int) -> None:
    """Check integer class labels lie in ``[0, num_classes)`` when their values are known."""
    values = concrete(y)
    if values is None or values.size == 0:
        return
    low, high = values.min(), values.max()
    if low < 0 or high >= num_classes:
        raise ValueError(
            f"{where}: expected labels in [0, {num_classes}), got values in [{low}, {high}]; "
            f"the output layer has {num_classes} units"
        )
