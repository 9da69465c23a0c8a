"""The lecture experiments by name, their sizes and configurations, behind ``fnn experiment NAME``."""

from __future__ import annotations

import dataclasses
import math

from fnn.experiments import (batchnorm, dropout_ensemble, glorot, he, optimizer_paths, overfitting, schedules, transfer,
                             universal_approximation, zero_init)
from fnn.util import ranges, validate

EXPERIMENTS = {"zero-init": zero_init, "glorot": glorot, "he": he, "dropout-ensemble": dropout_ensemble,
               "batchnorm": batchnorm, "overfitting": overfitting, "universal-approximation": universal_approximation,
               "optimizer-paths": optimizer_paths, "schedules": schedules, "transfer": transfer}
"""name -> module with ``Config``, ``SIZES`` and ``run(config, out, *, progress)`` (see ``fnn.experiments.common``)."""

SIZES = ("small", "full")


def get(name: str):
    """The module of the experiment called ``name``; an unknown name is a ValueError listing the known ones."""
    return validate.lookup("experiment", "experiment", name, EXPERIMENTS)


def summary(name: str) -> str:
    """One line saying what the experiment shows: the first line of its module's docstring."""
    return get(name).__doc__.strip().splitlines()[0]


def listing() -> str:
    """Every experiment with its one-line summary."""
    width = max(map(len, EXPERIMENTS))
    return "\n".join(f"{name:<{width}}  {summary(name)}" for name in EXPERIMENTS)


def _parse(where: str, field: str, default, text: str):
    """``text`` read as the type of ``default`` (a tuple: comma-separated values of its first item's type)."""
    kind = type(default)
    try:
        if isinstance(default, bool):
            if text.lower() not in ("true", "false"):
                raise ValueError(text)
            return text.lower() == "true"
        if isinstance(default, tuple):
            item = type(default[0]) if default else str
            return tuple(item(part.strip()) for part in text.split(",") if part.strip())
        return kind(text)
    except ValueError:
        raise ValueError(f"{where}: expected {field} to be {kind.__name__}"
                         f"{' of comma-separated values' if kind is tuple else ''}, got {text!r}") from None


def config(name: str, *, size: str = "full", seed: int | None = None, settings: dict | None = None):
    """The experiment's configuration of ``size``, with ``seed`` and ``settings`` (field name -> text) applied."""
    experiment = get(name)
    validate.choice("experiment", "size", size, SIZES)
    chosen = experiment.SIZES[size]
    fields = {f.name for f in dataclasses.fields(chosen)}
    changes = {}
    if seed is not None:
        if "seed" not in fields:
            raise ValueError(f"experiment {name}: draws nothing at random; expected no seed, got {seed!r}")
        changes["seed"] = ranges.check("experiment", "seed", seed)
    for field, text in (settings or {}).items():
        validate.choice(f"experiment {name}", "setting", field, fields)
        changes[field] = _parse(f"experiment {name}", field, getattr(chosen, field), text)
        _check_number(f"experiment {name}", field, changes[field])
    return dataclasses.replace(chosen, **changes)


def _check_number(where: str, field: str, value) -> None:
    """A setting named in ``fnn.util.ranges.RANGES`` in its range (each item of a tuple); any other number finite."""
    for item in value if isinstance(value, tuple) else (value,):
        if field in ranges.RANGES:
            ranges.check(where, field, item)
        elif isinstance(item, float) and not math.isfinite(item):
            raise ValueError(f"{where}: expected {field} to be a finite number, got {item!r}")

