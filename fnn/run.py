r"""A training run as a library function: ``RunConfig`` -> ``run(config, out=...)`` -> ``RunResult``.

``RunConfig`` holds everything ``fnn train`` can set, and round-trips through JSON
(``to_dict`` / ``from_dict``); a run stores it in ``OUT/config.json`` and in every
checkpoint, so ``resume(out)`` continues the run it describes. ``fnn.cli`` only maps
flags to a ``RunConfig`` and prints. The pieces a run is made of (data, model,
objective, optimizer, controls) are built by ``fnn.runparts``.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from fnn import checkpoint, files, history, metrics, monitor, outdir, report, runparts
from fnn.fit import fit
from fnn.train import make_eval_step
from fnn.optim import control, schedules
from fnn.optim.injectable import hyperparameters
from fnn.runparts import RunConfig

CONFIG_FILE = "config.json"
RESUMABLE = ("epochs", "steps", "checkpoint_every")
"""Settings a resumed run may change; every other one must equal the stored run's."""


class RunResult(NamedTuple):
    """What ``run`` returns: the epoch records (all of the run), test metrics, files written,
    the seconds and epochs of this call's training (a resumed run counts only the new epochs)."""

    history: list
    test: dict
    test_report: dict | None
    files: dict
    train_seconds: float
    epochs_trained: int
    best_epoch: int


def load_config(out) -> RunConfig:
    """The configuration stored in a run folder."""
    path = Path(out) / CONFIG_FILE
    try:
        return RunConfig.from_dict(json.loads(path.read_text()))
    except FileNotFoundError:
        raise ValueError(f"run: {path} not found; {out} holds no fnn run to resume") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"run: {path} is not valid JSON: {error}") from None


def resume_config(out, changes: dict) -> RunConfig:
    """The stored configuration with ``changes`` applied, refusing changes to the run itself.

    Raises:
        ValueError: naming the setting and both values when a change outside ``RESUMABLE``
            differs from the stored run.
    """
    stored = load_config(out)
    changes = {name: {**getattr(stored, name), **value} if isinstance(value, dict) else value
               for name, value in changes.items()}
    lengthened = {name for name in ("epochs", "steps") if name in changes and changes[name] != getattr(stored, name)}
    if "epochs" in lengthened and stored.steps is not None:
        raise ValueError(f"run: the stored run {out} is {stored.steps} steps long; change steps, not epochs")
    if lengthened and stored.schedule and "total_steps" not in stored.schedule_args and "total_steps" in \
            hyperparameters(schedules.get(stored.schedule)):
        raise ValueError(f"run: the schedule {stored.schedule} of {out} spans the stored run (total_steps by default); "
                         "a longer run would continue on a finished schedule. Start a new run, or give total_steps")
    for name, value in changes.items():
        if name not in RESUMABLE and getattr(stored, name) != value:
            raise ValueError(f"run: {name} is {getattr(stored, name)!r} in the stored run {out}, got {value!r}; "
                             f"only {', '.join(RESUMABLE)} may change on resume")
    return dataclasses.replace(stored, **changes)


def _test_metrics(parts: runparts.RunParts, result) -> dict:
    objective, (X, y), model_state = parts.objective, parts.data.test, result.state.model_state
    evaluate = make_eval_step(objective)
    test = {k: float(v) for k, v in evaluate(result.state.params, (X, y), model_state).items()}
    if result.averaged is not None and objective.is_classifier:
        test["averaged_accuracy"] = float(evaluate(result.averaged, (X, y), model_state)["accuracy"])
    if result.snapshots:
        probabilities = control.ensemble_probabilities(
            lambda params, X_: objective.outputs(params, X_, model_state), result.snapshots, X)
        test["ensemble_accuracy"] = float(metrics.accuracy(y, jnp.argmax(probabilities, axis=-1)))
    return test


def _learning_rates(parts: runparts.RunParts, epochs_run: int):
    if parts.schedule is None:
        return None
    steps = jnp.arange(epochs_run * parts.steps_per_epoch)
    return steps / parts.steps_per_epoch, jax.vmap(parts.schedule)(steps)


def _write_outputs(parts: runparts.RunParts, result, out: Path, test: dict) -> tuple[dict, dict | None]:
    config, objective = parts.config, parts.objective
    saved = history.save(result.history, out)
    title = f"fnn train --dataset {config.dataset} --optimizer {config.optimizer} ({config.gradients} gradients)"
    saved["plot"] = history.plot(result.history, out / "curves.png", title=title,
                                 learning_rates=_learning_rates(parts, len(result.history)))
    if config.monitor:
        saved["layers"] = monitor.plot(result.history, out / "layers.png", title=f"fnn train --dataset {config.dataset}")
    saved["params"] = checkpoint.save_params(out / "params.npz", result.state.params)
    X, y = parts.data.test
    predictions = objective.predict(result.state.params, X, result.state.model_state)
    if not objective.is_classifier:
        y_units, predicted_units = runparts.target_units(parts.data, y), runparts.target_units(parts.data, predictions)
        test["rmse_in_target_units"] = float(metrics.rmse(y_units, predicted_units))
        saved["predictions"] = report.plot_predictions(y_units, predicted_units, out / "predictions.png")
        return saved, None
    num_classes = objective.task.num_classes(parts.output_units)
    saved["confusion"] = report.plot_confusion_matrix(y, predictions, num_classes, out / "confusion.png")
    return saved, report.classification_report(y, predictions, num_classes)


def run(config: RunConfig, *, out, value_and_grad: Callable | None = None, resume: bool = False,
        overwrite: bool = False, progress: bool = False,
        on_start: Callable[[runparts.RunParts], None] | None = None,
        on_epoch: Callable[[dict], None] | None = None) -> RunResult:
    """Train, evaluate on the test split, and write every output of the run to ``out``.

    Args:
        config: the run.
        out: the output folder (created).
        value_and_grad: the gradient transform for ``config.gradients == "manual"``
            (``reference.backprop.value_and_grad``; ``fnn`` never imports ``reference``).
        resume: continue from ``out/last.npz`` (the configuration must be the stored one,
            see ``resume_config``).
        overwrite: write over a run already in ``out`` (else that is an error; ``fnn.outdir``).
        progress: show a progress bar.
        on_start: called with the built ``RunParts`` before training (e.g. to print a summary).
        on_epoch: called with every epoch record.
    """
    out = outdir.prepare(out, resume=resume, overwrite=overwrite)
    with outdir.lock(out):
        return _run_locked(config, out, value_and_grad, resume, progress, on_start, on_epoch)


def _run_locked(config, out: Path, value_and_grad, resume, progress, on_start, on_epoch) -> RunResult:
    parts = runparts.build(config, value_and_grad=value_and_grad)
    config_file = files.atomic_write_json(out / CONFIG_FILE, config.to_dict())
    if on_start is not None:
        on_start(parts)
    done = checkpoint.checkpoint_epoch(out / "last.npz") if resume else 0
    start = time.perf_counter()
    val = parts.data.val if len(parts.data.val[1]) else None
    result = fit(parts.objective, parts.optimizer, parts.params, parts.data.train, val=val,
                 batch_size=parts.batch_size, key=parts.fit_key, epochs=None if config.steps else config.epochs,
                 steps=config.steps, value_and_grad=parts.value_and_grad, controls=parts.controls,
                 augment=parts.augment, shuffle=config.shuffle, monitor=config.monitor, checkpoint_dir=out,
                 checkpoint_every=config.checkpoint_every, resume=out / "last.npz" if resume else None,
                 run_config=config.to_dict(), progress=progress, on_epoch=on_epoch)
    seconds = time.perf_counter() - start
    test = _test_metrics(parts, result)
    saved, test_report = _write_outputs(parts, result, out, test)
    saved["config"] = config_file
    summary = {"config": config.to_dict(), "model": repr(parts.objective.model), "test": test,
               "test_report": test_report, "train_seconds": seconds, "epochs_run": len(result.history),
               "best_epoch": result.best_epoch}
    saved["run"] = files.atomic_write_json(out / "run.json", summary)
    return RunResult(result.history, test, test_report, saved, seconds, len(result.history) - done, result.best_epoch)


def describe(parts: runparts.RunParts) -> dict[str, Any]:
    """The facts a summary line shows: set sizes, model, optimizer, batch, gradients, dtype."""
    config = parts.config
    return {"dataset": config.dataset, "sizes": tuple(len(split[1]) for split in (parts.data.train, parts.data.val,
                                                                                 parts.data.test)),
            "model": runparts.model_name(config, parts.in_shape, parts.output_units),
            "optimizer": parts.optimizer_name, "batch_size": parts.batch_size, "gradients": config.gradients,
            "dtype": config.dtype}
