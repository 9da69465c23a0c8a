r"""What the lecture experiments share: the digits data, a classifier fitted on it, the hidden
signals of an MLP, figures, and the results file.

Every experiment module has a frozen ``Config``, ``SIZES = {"small": ..., "full": ...}`` and
``run(config, out, *, progress=False) -> dict``, which writes its pictures and
``results.json`` to ``out`` (``finish``) and returns the numbers.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import jax
import jax.numpy as jnp

from fnn.data.prepare import Prepared, prepare
from fnn.fit import Controls, FitResult, fit
from fnn.layers import Activation, Dense, Sequential
from fnn.objective import Objective
from fnn.train import make_eval_step
from fnn.plots import figures
from fnn.util import files

DTYPE = jnp.float32


def digits(seed: int, *, train_size: int | None = None) -> Prepared:
    """The 8x8 digits prepared as ``fnn train`` prepares them (60/20/20, standardised with the training
    split's statistics), the split drawn from ``jax.random.key(seed)`` itself: not the split of ``fnn train
    --seed``, whose data key is one of three split off it. ``train_size`` keeps the first training rows."""
    data = prepare("digits", key=jax.random.key(seed))
    if train_size is None:
        return data
    X, y = data.train
    return data._replace(train=(X[:train_size], y[:train_size]))


def fit_classifier(model, data: Prepared, optimizer, *, batch_size: int, key, epochs: int | None = None,
                   steps: int | None = None, params=None, controls: Controls = Controls(),
                   progress: bool = False) -> tuple[Objective, FitResult]:
    """``fit`` ``model`` (initialised from ``key`` unless ``params`` are given) on the training split for
    ``epochs`` (or ``steps``), watching the validation split; returns the objective and the fit's result."""
    init_key, fit_key = jax.random.split(key)
    objective = Objective(model)
    if params is None:
        params = model.init(init_key, data.train[0].shape[1:], dtype=DTYPE)[1]
    result = fit(objective, optimizer, params, data.train, val=data.val, epochs=epochs, steps=steps,
                 batch_size=batch_size, key=fit_key, controls=controls, progress=progress)
    return objective, result


def scores(objective: Objective, result: FitResult, data) -> dict:
    """Loss and metrics of the fitted parameters on ``data`` = (X, y), as floats."""
    return {name: float(value) for name, value in
            make_eval_step(objective)(result.state.params, data, result.state.model_state).items()}


def hidden_signals(model: Sequential, params, X, shifts=None):
    r"""Walk an MLP (``Sequential`` of ``Dense`` and ``Activation`` layers) in evaluation mode.

    Math: Z_k = A_{k-1} W_k + b_k (+ shift_k), A_k = g(Z_k), k = 1..L; the last dense layer gives
    the logits. A zero ``shift_k`` changes nothing, and dJ/dshift_k = dJ/dZ_k: the
    back-propagated gradient of each hidden layer.
    Returns:
        (logits, [Z_1 .. Z_L], [A_1 .. A_L]).
    """
    Z, A = [], []
    dense = [i for i, layer in enumerate(model.layers) if isinstance(layer, Dense)]
    for i, (layer, p) in enumerate(zip(model.layers, params)):
        if not isinstance(layer, (Dense, Activation)):
            raise ValueError(f"hidden_signals: expected an MLP of Dense and Activation layers, got {layer} at {i}")
        X = layer.apply(p, (), X, train=False)[0]
        if i in dense[:-1]:
            X = X if shifts is None else X + shifts[len(Z)]
            Z.append(X)
        elif isinstance(layer, Activation):
            A.append(X)
    return X, Z, A


def finite(value) -> float | None:
    """``value`` as a float for strict JSON; NaN and infinities (a diverged run) become None."""
    value = float(value)
    return value if math.isfinite(value) else None


def hidden_dense(model: Sequential, params) -> list:
    """The parameters of the hidden dense layers of an MLP (every ``Dense`` but the output layer)."""
    return [p for layer, p in zip(model.layers, params) if isinstance(layer, Dense)][:-1]


def subplots(rows: int = 1, cols: int = 1, *, panel=(5.5, 4.0), **kwargs):
    """A matplotlib figure (Agg backend) and its (rows, cols) array of axes, ``panel`` inches each."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(rows, cols, figsize=(panel[0] * cols, panel[1] * rows), squeeze=False, **kwargs)


def finish(out, config, numbers: dict, pictures: dict) -> dict:
    """Save each figure as ``out/NAME.png`` and ``{config, numbers, files}`` as ``out/results.json``
    (strict JSON, atomic writes); return the numbers with the paths written under ``files``."""
    out = Path(out)
    written = [str(figures.save(fig, out / f"{name}.png")) for name, fig in pictures.items()]
    written.append(str(out / "results.json"))
    numbers = numbers | {"files": written}
    files.atomic_write_json(out / "results.json", {"config": dataclasses.asdict(config)} | numbers)
    return numbers
