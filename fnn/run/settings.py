"""Settings of a frozen dataclass: an error that names the setting, and the check of every field's type.

``SettingError(setting, reason)`` names a field (or ``group.key`` inside a dict field) and
says what was expected and received; ``about(setting)`` turns any ValueError or TypeError
of a block into one. ``normalise`` and ``check_types`` read each field's annotation
(``"int"``, ``"float | None"``, ``"tuple"``, ...): NumPy scalars become Python numbers,
sequences of a tuple field become tuples, and a value of another type is an error.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import numbers

import numpy as np


class SettingError(ValueError):
    """A setting of a run is wrong. ``setting`` names it; ``reason`` says what was expected and received."""

    def __init__(self, setting: str, reason: str):
        super().__init__(f"RunConfig: {setting}: {reason}")
        self.setting, self.reason = setting, reason


@contextlib.contextmanager
def about(setting: str):
    """Turn a ValueError or TypeError raised in the block into a ``SettingError`` naming ``setting``."""
    try:
        yield
    except SettingError:
        raise
    except (ValueError, TypeError) as error:
        raise SettingError(setting, str(error).removeprefix("RunConfig: ")) from None


def is_number(value) -> bool:
    """A real number that is not a bool (NumPy scalars included)."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


KINDS = {"int": ("an int", lambda v: is_number(v) and isinstance(v, numbers.Integral)),
         "float": ("a number", is_number), "bool": ("true or false", lambda v: isinstance(v, bool)),
         "str": ("a string", lambda v: isinstance(v, str)), "tuple": ("a sequence", lambda v: isinstance(v, tuple)),
         "dict": ("a dict", lambda v: isinstance(v, dict))}
"""What each annotated type of a field accepts (``X | None`` accepts None too)."""


def _plain(value):
    """A NumPy scalar as the Python number it holds (configurations are stored as JSON)."""
    return value.item() if isinstance(value, np.generic) else value


def normalise(config) -> None:
    """NumPy scalars as Python numbers, in dict values and tuple items too; a list or array given
    to a tuple field as a tuple (JSON stores tuples as lists)."""
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        if field.type == "tuple" and isinstance(value, (tuple, list, np.ndarray)):
            value = tuple(_plain(item) for item in value)
        elif isinstance(value, dict):
            value = {k: _plain(v) for k, v in value.items()}
        object.__setattr__(config, field.name, _plain(value))


def check_types(config, groups=()) -> None:
    """Every field has its annotated type and every number is finite; so is every value of the dict
    fields named in ``groups``."""
    for field in dataclasses.fields(config):
        kind, _, optional = field.type.partition(" | ")
        value = getattr(config, field.name)
        words, accepts = KINDS[kind]
        if not (accepts(value) or (optional and value is None)):
            raise SettingError(field.name, f"expected {words}{' or None' if optional else ''}, got {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise SettingError(field.name, f"expected a finite number, got {value}")
    for group in groups:
        for name, value in getattr(config, group).items():
            if not is_number(value) or not math.isfinite(value):
                raise SettingError(f"{group}.{name}", f"expected a finite number, got {value!r}")
