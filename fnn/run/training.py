r"""A training run as a library function: ``RunConfig`` -> ``run(config, out=...)`` -> ``RunResult``.

``RunConfig`` holds everything ``fnn train`` can set, and round-trips through JSON
(``to_dict`` / ``from_dict``); a run stores it in ``OUT/config.json`` and in every
checkpoint, so ``resume(out)`` continues the run it describes. ``fnn.cli`` only maps
flags to a ``RunConfig`` and prints. The pieces a run is made of (data, model,
objective, optimizer, controls) are built by ``fnn.run.assembly``. A finished run folder
also holds the trained model: ``load(out)`` gives it back with ``predict`` (``fnn.run.trained``)
and ``evaluate(out)`` recomputes its test scores.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from fnn import checkpoint, history, metrics, report, tasks
from fnn.data import datasets, ngrams, tabular, text
from fnn.fit import Interrupted, fit
from fnn.layers.receptive import receptive_fields
from fnn.optim import control, schedules
from fnn.optim.injectable import hyperparameters
from fnn.plots import evaluation, filters
from fnn.plots import history as history_plot
from fnn.plots import monitor as monitor_plot
from fnn.run import assembly, models, outdir, trained
from fnn.run.configuration import RunConfig, SettingError
from fnn.run.trained import load
from fnn.train import make_eval_step
from fnn.util import files, interrupts, xla_flags

CONFIG_FILE = "config.json"
RECONSTRUCTIONS_SHOWN = 10
SAMPLE_PRIME = "def "
SAMPLE_TEMPERATURES = (0.5, 1.0)
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
    return RunConfig.from_dict(files.read_json(Path(out) / CONFIG_FILE, "run"))


def _shown(value) -> str:
    return "unset" if value is None else repr(value)


def resume_config(out, changes: dict) -> RunConfig:
    """The stored configuration with ``changes`` applied, refusing changes to the run itself.

    ``epochs`` may change to more than the epochs done, ``steps`` may grow, and
    ``checkpoint_every`` may change (``RESUMABLE``); dict settings are compared key by key.

    Raises:
        SettingError: naming the setting (``hyper.b1`` inside a dict) and both values.
    """
    stored = load_config(out)
    _check_trained_with(out, stored)
    for name, value in changes.items():
        if isinstance(value, dict):
            for key, entry in value.items():
                if getattr(stored, name).get(key) != entry:
                    raise SettingError(f"{name}.{key}", f"is {_shown(getattr(stored, name).get(key))} in the stored "
                                                        f"run {out}, got {entry!r}; only {', '.join(RESUMABLE)} may change")
        elif name not in RESUMABLE and getattr(stored, name) != value:
            raise SettingError(name, f"is {_shown(getattr(stored, name))} in the stored run {out}, got {value!r}; "
                                     f"only {', '.join(RESUMABLE)} may change on resume")
    changes = {name: value for name, value in changes.items() if not isinstance(value, dict)}
    _check_lengthening(out, stored, changes)
    return dataclasses.replace(stored, **changes)


def _check_trained_with(out, stored: RunConfig) -> None:
    """``config.json`` must be the configuration ``last.npz`` was trained with: an edited file (another
    seed, say) would continue the checkpoint on another data split. Only ``RESUMABLE`` settings may differ."""
    trained_with = checkpoint.checkpoint_config(Path(out) / "last.npz")
    written = stored.to_dict()
    for name in sorted((set(written) & set(trained_with)) - set(RESUMABLE)):
        if written[name] != trained_with[name]:
            raise ValueError(f"resume: {Path(out) / CONFIG_FILE} has {name} {written[name]!r}, but {Path(out) / 'last.npz'} "
                             f"was trained with {name} {trained_with[name]!r}; put back the run's configuration "
                             "(a resumed run continues the checkpoint as it was trained) or start a new run")


def _check_lengthening(out, stored: RunConfig, changes: dict) -> None:
    done = checkpoint.checkpoint_epoch(Path(out) / "last.npz")
    if "epochs" in changes and stored.steps is None and changes["epochs"] <= done:
        raise SettingError("epochs", f"expected more than the {done} epochs done in {out}, got {changes['epochs']}")
    if "steps" in changes and stored.steps is not None and changes["steps"] < stored.steps:
        raise SettingError("steps", f"expected at least the stored run's {stored.steps} steps, got {changes['steps']}")
    lengthened = {name for name in ("epochs", "steps") if name in changes and changes[name] != getattr(stored, name)}
    if "epochs" in lengthened and stored.steps is not None:
        raise SettingError("epochs", f"the stored run {out} is {stored.steps} steps long; change steps, not epochs")
    if lengthened and stored.schedule and "total_steps" not in stored.schedule_args and "total_steps" in \
            hyperparameters(schedules.get(stored.schedule)):
        raise SettingError("schedule", f"{stored.schedule} of {out} spans the stored run (total_steps by default); "
                                       "a longer run would continue on a finished schedule. Start a new run, or give total_steps")


def test_scores(objective, params, model_state, data) -> tuple[dict, dict | None]:
    """Metrics of ``params`` on the test split of ``data`` (an ``fnn.data.prepare.Prepared``): the
    task's metrics and, for regression, the RMSE in the targets' units; the classification report."""
    X, y = data.test
    test = {k: float(v) for k, v in make_eval_step(objective)(params, (X, y), model_state).items()}
    if isinstance(objective.task, tasks.PerStep):
        return test, None
    predictions = objective.predict(params, X, model_state)
    if objective.is_classifier:
        return test, report.classification_report(y, predictions, data.num_classes, data.labels)
    test["rmse_in_target_units"] = float(metrics.rmse(*(assembly.target_units(data, v) for v in (y, predictions))))
    return test, None


def _test_metrics(parts: assembly.RunParts, result) -> tuple[dict, dict | None]:
    objective, (X, y), model_state = parts.objective, parts.data.test, result.state.model_state
    test, test_report = test_scores(objective, result.state.params, model_state, parts.data)
    if result.averaged is not None and objective.is_classifier:
        test["averaged_accuracy"] = float(make_eval_step(objective)(result.averaged, (X, y), model_state)["accuracy"])
    if result.snapshots:
        probabilities = control.ensemble_probabilities(
            lambda params, X_: objective.outputs(params, X_, model_state), result.snapshots, X)
        test["ensemble_accuracy"] = float(metrics.accuracy(y, jnp.argmax(probabilities, axis=-1)))
    if parts.config.dataset in datasets.TEXT:
        for name, baseline in (("unigram", text.unigram_perplexity), ("bigram", text.bigram_perplexity)):
            test[f"{name}_perplexity"] = baseline(parts.data.train, parts.data.test, parts.data.num_classes)
        rows = [ngrams.window_rows(*split) for split in (parts.data.train, parts.data.test)]
        smoothed = ngrams.baselines(*rows, vocabulary_size=parts.data.num_classes, prefix=1)
        test |= {f"{name}_perplexity": value for name, value in smoothed.items()}
    return test, test_report


def _learning_rates(parts: assembly.RunParts, epochs_run: int):
    if parts.schedule is None:
        return None
    steps = jnp.arange(epochs_run * parts.steps_per_epoch)
    return steps / parts.steps_per_epoch, jax.vmap(parts.schedule)(steps)


def _write_history(parts: assembly.RunParts, records: list, out: Path, plots: bool) -> dict:
    """The epoch records as JSON and CSV; with ``plots``, the curves, and the layer statistics when monitored."""
    config = parts.config
    saved = history.save(records, out)
    if not plots:
        return saved
    title = f"fnn train --dataset {config.dataset} --optimizer {config.optimizer} ({config.gradients} gradients)" + (
        f"\nlosses include the {config.regularizer} penalty" if config.regularizer else "")
    saved["plot"] = history_plot.plot(records, out / "curves.png", title=title,
                                 learning_rates=_learning_rates(parts, len(records)))
    if config.monitor:
        saved["layers"] = monitor_plot.plot(records, out / "layers.png", title=f"fnn train --dataset {config.dataset}")
    return saved


def _write_outputs(parts: assembly.RunParts, result, out: Path, plots: bool) -> dict:
    saved = _write_history(parts, result.history, out, plots)
    X, y = parts.data.test
    if isinstance(parts.objective.task, tasks.PerStep):
        saved["samples"] = _write_samples(parts, result, out)
        return saved
    if not plots:
        return saved
    predictions = parts.objective.predict(result.state.params, X, result.state.model_state)
    if models.get(parts.config.model).draws_filters:
        model, params, model_state = parts.objective.model, result.state.params, result.state.model_state
        shape = datasets.SAMPLE_SHAPES[parts.config.dataset]
        saved["filters"] = filters.plot_filters(model, params, out / "filters.png")
        saved["feature_maps"] = filters.plot_feature_maps(model, params, model_state, X[0], shape,
                                                          out / "feature_maps.png")
    if parts.objective.is_classifier:
        saved["confusion"] = evaluation.plot_confusion_matrix(y, predictions, parts.data.num_classes, out / "confusion.png")
    elif isinstance(parts.objective.task, tasks.Reconstruction):
        saved["reconstructions"] = filters.plot_reconstructions(X[:RECONSTRUCTIONS_SHOWN], predictions[:RECONSTRUCTIONS_SHOWN],
                                                                shape, out / "reconstructions.png")
    else:
        saved["predictions"] = evaluation.plot_predictions(assembly.target_units(parts.data, y),
                                                       assembly.target_units(parts.data, predictions),
                                                       out / "predictions.png")
    return saved


def _write_samples(parts: assembly.RunParts, result, out: Path) -> Path:
    """``samples.txt``: what the trained language model writes after ``SAMPLE_PRIME``, at a few temperatures."""
    model = trained.TrainedModel(parts.config, parts.objective, result.state.params, result.state.model_state,
                                 parts.data.scaler, None, parts.output_units)
    blocks = [f"--- temperature {t}, prime {SAMPLE_PRIME!r} ---\n"
              f"{SAMPLE_PRIME}{model.sample(SAMPLE_PRIME, length=400, temperature=t)}" for t in SAMPLE_TEMPERATURES]
    return files.atomic_write_text(out / "samples.txt", "\n\n".join(blocks) + "\n")


def run(config: RunConfig, *, out, value_and_grad: Callable | None = None, resume: bool = False,
        overwrite: bool = False, progress: bool = False, plots: bool = True,
        on_start: Callable[[assembly.RunParts], None] | None = None,
        on_epoch: Callable[[dict], None] | None = None) -> RunResult:
    """Train, evaluate on the test split, and write every output of the run to ``out``.

    Args:
        config: the run.
        out: the output folder (created).
        value_and_grad: the gradient transform for ``config.gradients == "manual"``
            (``reference.backprop.value_and_grad``; ``fnn`` never imports ``reference``).
        resume: continue from ``out/last.npz`` (the configuration must be the stored one,
            see ``resume_config``).
        overwrite: write over a run already in ``out`` (else that is an error; ``fnn.run.outdir``).
        progress: show a progress bar.
        plots: draw the figures (curves, confusion matrix or predictions, filters); without them a
            run writes its numbers only.
        on_start: called with the built ``RunParts`` before training (e.g. to print a summary).
        on_epoch: called with every epoch record.
    Raises:
        fnn.fit.Interrupted: on Ctrl-C, after writing the last complete epoch's checkpoint,
            the history and (with ``plots``) the curves so far (``resume=True`` continues the run).
    """
    out = outdir.prepare(out, resume=resume, overwrite=overwrite)
    with outdir.lock(out):
        return _run_locked(config, out, value_and_grad, resume, progress, plots, on_start, on_epoch)


def _run_locked(config, out: Path, value_and_grad, resume, progress, plots, on_start, on_epoch) -> RunResult:
    if config.deterministic and not xla_flags.has_flag(xla_flags.DETERMINISTIC):
        raise SettingError("deterministic", f"XLA reads its flags once, when JAX starts: expected XLA_FLAGS to hold "
                                            f"{xla_flags.DETERMINISTIC} from the start (fnn train --deterministic sets "
                                            f"it), got XLA_FLAGS={os.environ.get('XLA_FLAGS', '')!r}")
    parts = assembly.build(config, value_and_grad=value_and_grad, initialise=not resume)
    config_file = files.atomic_write_json(out / CONFIG_FILE, config.to_dict())
    if on_start is not None:
        on_start(parts)
    done = checkpoint.checkpoint_epoch(out / "last.npz") if resume else 0
    start = time.perf_counter()
    val = parts.data.val if len(parts.data.val[1]) else None
    try:
        result = _fit(parts, out, val, resume, progress, on_epoch)
    except Interrupted as stop:
        if stop.history:
            with interrupts.held(then_raise=False):  # a second Ctrl-C: the run is stopping already
                _write_history(parts, stop.history, out, plots)
        raise
    seconds = time.perf_counter() - start
    test, test_report = _test_metrics(parts, result)
    saved = _write_outputs(parts, result, out, plots)
    saved["config"] = config_file
    summary = {"config": config.to_dict(), "model": repr(parts.objective.model), "in_shape": list(parts.in_shape),
               "output_units": parts.output_units, "test": test,
               "test_report": test_report, "train_seconds": seconds, "epochs_run": len(result.history),
               "best_epoch": result.best_epoch}
    # last, all at once: a finished model in the folder stays whole until its replacement is (fnn.run.trained)
    saved |= trained.save(out, result.state.params, result.state.model_state, parts.data, summary)
    return RunResult(result.history, test, test_report, saved, seconds, len(result.history) - done, result.best_epoch)


def _fit(parts: assembly.RunParts, out: Path, val, resume: bool, progress: bool, on_epoch):
    config = parts.config
    return fit(parts.objective, parts.optimizer, parts.params, parts.data.train, val=val,
               batch_size=parts.batch_size, key=parts.fit_key, epochs=None if config.steps else config.epochs,
               model_state=parts.model_state,
               steps=config.steps, value_and_grad=parts.value_and_grad, controls=parts.controls,
               augment=parts.augment, shuffle=config.shuffle, monitor=config.monitor, checkpoint_dir=out,
               checkpoint_every=config.checkpoint_every, resume=out / "last.npz" if resume else None,
               run_config=config.to_dict(), progress=progress, on_epoch=on_epoch, devices=config.devices,
               train_scores=config.train_scores)


def evaluate(out) -> tuple[dict, dict | None]:
    """The test metrics and classification report of the finished run in ``out``, recomputed from its
    saved model on the test split its configuration draws.

    Raises:
        ValueError: when the data set no longer gives the scaler the run saved (the data changed).
    """
    model = load(out)
    data = assembly.load_data(model.config)
    if not all(bool(jnp.array_equal(a, b)) for a, b in zip(data.scaler, model.scaler)):
        raise ValueError(f"evaluate: the {model.config.dataset} data no longer matches the run in {out}: "
                         "its training split gives another feature scaler")
    return test_scores(model.objective, model.params, model.model_state, data)


def describe(parts: assembly.RunParts) -> dict[str, Any]:
    """The facts the start of a run shows: set sizes, model and its parameter count, optimizer,
    batch, gradients, dtype, the loss J (with the penalty it includes), what an epoch leaves out
    (the N mod B samples past the last full minibatch), every setting, "off" when unset, a
    CNN's receptive fields (``fnn.layers.receptive``) and a data file's constant feature columns."""
    config, train_n = parts.config, len(parts.data.train[1])
    penalty = f" + {config.regularizer} penalty (lambda {config.penalty_strength:g})" if config.regularizer else ""
    data = (f"{config.data}, target {'y' if config.target is None else config.target} ({config.target_type}"
            f"{f', {len(parts.data.labels)} classes' if parts.data.labels else ''})")
    return {"dataset": data if config.data else config.dataset,
            "sizes": tuple(len(split[1]) for split in (parts.data.train, parts.data.val, parts.data.test)),
            "model": assembly.model_name(config, parts.in_shape, parts.output_units),
            "parameters": sum(int(jnp.size(leaf)) for leaf in jax.tree.leaves(parts.params)),
            "optimizer": parts.optimizer_name, "batch_size": parts.batch_size, "gradients": config.gradients,
            "dtype": config.dtype, "loss": config.task.loss + penalty, "steps_per_epoch": parts.steps_per_epoch,
            "left_out": train_n - parts.steps_per_epoch * parts.batch_size, "settings": _settings(config),
            "receptive_fields": receptive_fields(parts.objective.model, parts.in_shape)
                                if models.get(config.model).receptive_fields else [],
            "constant_columns": tabular.constant_columns(parts.data.train[0], parts.data.features)}


def _settings(config: RunConfig) -> dict[str, str]:
    def shown(value, text=None) -> str:
        return "off" if value is None or value == {} or value is False else str(value if text is None else text)

    def listed(values: dict) -> str:
        return ",".join(f"{k}={v:g}" for k, v in values.items())

    return {"batch norm": shown(config.batchnorm),
            "dropout": shown(config.dropout or None, f"{config.dropout:g} ({config.dropout_form})"),
            "regularizer": shown(config.regularizer, f"{config.regularizer} lambda={config.penalty_strength:g}"),
            "weight decay": shown(config.weight_decay), "clip norm": shown(config.clip_norm),
            "schedule": shown(config.schedule, f"{config.schedule}({listed(config.schedule_args)})"),
            "augment": shown(config.augment, listed(config.augment)),
            "early stopping": shown(config.early_stopping, f"patience {config.early_stopping}"),
            "plateau": shown(config.plateau, f"patience {config.plateau}"),
            "averaging": shown(config.averaging), "snapshots": shown(config.snapshots),
            "classes": shown(config.classes or None, ",".join(map(str, config.classes))),
            "labels per class": shown(config.labels_per_class),
            "init from": shown(config.init_from, f"{config.init_from} (" + (
                "frozen body)" if config.freeze else f"body lr x{config.body_lr_scale or 1:g})")),
            "devices": shown(config.devices, f"{config.devices} (each minibatch split over them)")}
