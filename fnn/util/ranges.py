"""The range of every number a person gives fnn, in one table: the flags of each subcommand and
the numeric settings of ``RunConfig`` are checked by it alike.

A count has a ceiling where a larger value could not finish or would overflow: a seed is
one 32-bit word, the optimizer's step counter is int32, a run of a million epochs is the
most a schedule or a progress bar is asked to span. A real number must be finite. Ranges
that depend on other settings (a batch no larger than the training set, a model that fits
in memory) are checked where those are known (``fnn.run.assembly``).
"""

from __future__ import annotations

import math
import numbers
from typing import NamedTuple

from fnn.util import validate

MAX_EPOCHS = 10**6
MAX_STEPS = 2**31 - 1
MAX_SAMPLE_LENGTH = 100_000


class Range(NamedTuple):
    """``kind`` int or float in [low, high] (None: unbounded; ``low_open``/``high_open``: excluded)."""

    kind: type
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False


COUNT = Range(int, 1)
SEED = Range(int, 0, 2**32 - 1)
"""A seed is one 32-bit word: JAX keys of larger seeds wrap around (2**32 gives the key of 0)."""
POSITIVE = Range(float, 0.0, low_open=True)
NON_NEGATIVE = Range(float, 0.0)
FRACTION = Range(float, 0.0, 1.0, high_open=True)

RANGES = {
    # the length of a run
    "epochs": Range(int, 1, MAX_EPOCHS), "steps": Range(int, 1, MAX_STEPS), "checkpoint_every": COUNT,
    "early_stopping": Range(int, 1, MAX_EPOCHS), "plateau": Range(int, 1, MAX_EPOCHS), "snapshots": COUNT,
    # data and model
    "seed": SEED, "classes": Range(int, 0, 2**16 - 1), "batch_size": COUNT, "devices": COUNT, "labels_per_class": COUNT, "val_fraction": FRACTION,
    "hidden": COUNT, "pieces": Range(int, 1, 64), "dropout": FRACTION, "batchnorm_momentum": FRACTION,
    # optimization
    "lr": POSITIVE, "strength": NON_NEGATIVE, "clip_norm": POSITIVE, "weight_decay": NON_NEGATIVE,
    "body_lr_scale": POSITIVE,
    # fnn search
    "trials": Range(int, 1, 4096), "points": Range(int, 2, 1000), "rounds": Range(int, 1, 100), "keep": COUNT,
    "folds": Range(int, 2, 100), "trial_devices": COUNT,
    # fnn sample
    "length": Range(int, 1, MAX_SAMPLE_LENGTH), "temperature": POSITIVE,
}
"""Each named number's range; ``hidden`` is each width's (the memory they take is checked when the model is
built), ``classes`` each class label's."""


def check(where: str, name: str, value, limits: Range | None = None):
    """``value`` checked against ``limits`` (default ``RANGES[name]``): an int or a finite number in range.

    Raises:
        ValueError or TypeError: naming ``where`` and ``name``, the range and the value.
    """
    kind, low, high, low_open, high_open = limits or RANGES[name]
    if kind is int:
        return validate.integer(where, name, value, int(low), None if high is None else int(high))
    validate.number_in(where, name, value, low, high, low_open=low_open, high_open=high_open)
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{where}: expected {name} to be a finite number, got {value!r}")
    return value

