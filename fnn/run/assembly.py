r"""The pieces a run is made of: ``build(config)`` loads the data and builds the model,
objective, optimizer and controls of an ``fnn.run.configuration.RunConfig`` into ``RunParts``,
which ``fnn.run.run`` trains.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from fnn import optim, parallel, transfer
from fnn.data import preprocessing
from fnn.data.prepare import Prepared, check_classes, prepare, select_classes
from fnn.fit import Controls
from fnn.fit import steps_per_epoch as steps_per_epoch_of
from fnn.objective import Objective
from fnn.optim import schedules
from fnn.optim.injectable import hyperparameters
from fnn.regularizers import Penalty
from fnn.run import models
from fnn.run.configuration import (RunConfig, SettingError, about, build_augment, build_controls, build_model,
                                   enable_dtype)
from fnn.train import autodiff
from fnn.util import memory

FULL_BATCH = ("rprop",)
"""Optimizers whose default minibatch is the whole training set (Rprop follows the sign of the full gradient)."""
DEFAULT_BATCH_SIZE = 64


class RunParts(NamedTuple):
    """What a run trains: built from a ``RunConfig`` by ``build``."""

    config: RunConfig
    batch_size: int
    data: Prepared
    in_shape: tuple
    output_units: int
    objective: Objective
    params: Any
    optimizer: Any
    optimizer_name: str
    schedule: Callable | None
    steps_per_epoch: int
    controls: Controls
    augment: Callable | None
    value_and_grad: Callable
    fit_key: Any
    model_state: Any = None


def model_name(config: RunConfig, in_shape, output_units: int) -> str:
    """A one-line name like ``MLP 64-128-128-10 relu`` (``fnn.run.models``: each model's ``describe``)."""
    return models.get(config.model).describe(config, in_shape, output_units)


def build_optimizer(config: RunConfig, steps_per_epoch: int, weight_mask):
    """The injectable optimizer, its schedule (or None) and a one-line description."""
    hyper = dict(config.hyper)
    schedule_args = dict(config.schedule_args)
    if config.schedule is None:
        hyper["learning_rate"] = config.lr if config.lr is not None else hyperparameters(optim.get(config.optimizer))["learning_rate"]
    elif "total_steps" in hyperparameters(schedules.get(config.schedule)):
        schedule_args.setdefault("total_steps", total_steps(config, steps_per_epoch))
    optimizer = optim.injectable(config.optimizer, schedule=config.schedule, schedule_args=schedule_args or None,
                                 clip_norm=config.clip_norm, weight_decay=config.weight_decay,
                                 weight_decay_mask=weight_mask, **hyper)
    schedule = schedules.get(config.schedule)(**schedule_args) if config.schedule else None
    rate = f"schedule {config.schedule}" if config.schedule else f"lr={hyper['learning_rate']:g}"
    return optimizer, schedule, f"{config.optimizer} {rate}"


def _keys(config: RunConfig):
    """The data, init and fit keys of a run, all from its seed."""
    return jax.random.split(jax.random.key(config.seed), 3)


def load_data(config: RunConfig) -> Prepared:
    """The run's data, split and scaled (the seed fixes the split), kept to ``classes`` and
    ``labels_per_class`` (``fnn.data.prepare.select_classes``), cast to the run's dtype. The
    autoencoder's targets are its scaled inputs (its target scaler is the feature scaler, so
    its reconstructions map back to the data's units)."""
    dtype = enable_dtype(config)
    data = prepare(config.dataset, key=_keys(config)[0], stratify=config.stratify, data_dir=config.data_dir,
                   table=config.table, val_fraction=config.val_fraction, scaling=config.feature_scaling)
    if config.classes or config.labels_per_class is not None:
        with about("classes"):
            check_classes(data, config.classes)
        with about("labels_per_class"):  # the only error left: a class with fewer samples, named by its own label
            data = select_classes(data, config.classes, labels_per_class=config.labels_per_class)
    if models.get(config.model).reconstructs:
        data = data._replace(train=(data.train[0],) * 2, val=(data.val[0],) * 2, test=(data.test[0],) * 2,
                             num_classes=0, target_scaler=data.scaler)
    return data._replace(**{name: (X.astype(dtype), y.astype(dtype) if data.num_classes == 0 else y)
                            for name, (X, y) in zip(("train", "val", "test"), data[:3])})


def _transferred(config: RunConfig, model, params, model_state) -> tuple:
    """The parameters and model state of the run in ``config.init_from`` in the new model: the body,
    and the head too when both runs predict the same classes of the same data set."""
    from fnn.run import trained  # trained imports this module

    if not Path(config.init_from).is_dir():
        raise SettingError("init_from", f"expected the folder of a finished run, got {config.init_from!r}, "
                                        "which is not a folder")
    with about("init_from"):
        source = trained.load(config.init_from)
        same_task = (source.config.dataset, source.config.classes) == (config.dataset, config.classes)
        head = None if same_task else transfer.head_index(params)
        return (transfer.transfer(model, source.params, params, head=head),
                transfer.transfer(model, source.model_state, model_state, head=head))


def _fine_tuning(config: RunConfig, optimizer, name: str, params) -> tuple:
    """The optimizer with the body frozen or its learning rate scaled, as ``config`` asks."""
    if config.freeze is None and config.body_lr_scale is None:
        return optimizer, name
    scale = 0.0 if config.freeze else config.body_lr_scale
    note = "frozen body" if config.freeze else f"body lr x{config.body_lr_scale:g}"
    return transfer.fine_tuning(optimizer, transfer.head_index(params), body_scale=scale), f"{name}, {note}"


def build(config: RunConfig, *, value_and_grad: Callable | None = None, initialise: bool = True,
          data: Prepared | None = None) -> RunParts:
    """Load the data and build the model, objective, optimizer and controls of a run. The parameters
    start from ``config.init_from`` when given, unless ``initialise`` is False (a resumed run's
    parameters come from its checkpoint). ``data`` given (already split and scaled, e.g. a
    search's fold) is used instead of loading the data of ``config``."""
    if config.gradients == "manual" and value_and_grad is None:
        raise ValueError("run: gradients 'manual' needs value_and_grad=reference.backprop.value_and_grad "
                         "(fnn never imports reference)")
    mesh = None
    if config.devices is not None:
        with about("devices"):
            mesh = parallel.batch_mesh(config.devices)
            parallel.check_batch_size("run", config.batch_size or DEFAULT_BATCH_SIZE, mesh)
    data = load_data(config) if data is None else data
    _, init_key, fit_key = _keys(config)
    dtype = jnp.dtype(config.dtype)
    task = config.task
    output_units = task.output_units(data.num_classes) if task.is_classifier else task.targets(data.train[1]).shape[1]
    model = build_model(config, output_units)
    in_shape = data.train[0].shape[1:]
    samples = len(data.train[1])
    batch_size = config.batch_size or (samples if config.optimizer in FULL_BATCH else min(DEFAULT_BATCH_SIZE, samples))
    if batch_size > samples:
        raise SettingError("batch_size", f"expected at most the {samples} training samples, got {batch_size}")
    if mesh is not None:
        with about("devices"):
            parallel.check_batch_size("run", batch_size, mesh)
    steps_per_epoch = steps_per_epoch_of(data.train[0], batch_size)
    optimizer, schedule, name = build_optimizer(config, steps_per_epoch, model.weight_mask)
    check_memory(config, model, in_shape, optimizer)
    _, params, model_state = model.init(init_key, in_shape, dtype=dtype)
    if config.init_from is not None and initialise:
        params, model_state = _transferred(config, model, params, model_state)
    penalty = Penalty(config.regularizer, config.penalty_strength) if config.regularizer else None
    compute_dtype = None if config.compute_dtype is None else jnp.dtype(config.compute_dtype)
    objective = Objective(model, task, penalty, compute_dtype)
    optimizer, name = _fine_tuning(config, optimizer, name, params)
    gradients = autodiff if config.gradients == "auto" else value_and_grad
    return RunParts(config, batch_size, data, in_shape, output_units, objective, params, optimizer, name, schedule,
                    steps_per_epoch, build_controls(config), build_augment(config), gradients, fit_key, model_state)


def check_memory(config: RunConfig, model, in_shape: tuple, optimizer) -> None:
    """Refuse a model whose parameters, gradients and optimizer state alone exceed the memory available
    (``fnn.util.memory``), naming the setting that sizes it; shapes only, nothing is allocated."""
    params = jax.eval_shape(lambda key: model.init(key, in_shape, dtype=jnp.dtype(config.dtype))[1], jax.random.key(0))
    count = sum(leaf.size for leaf in jax.tree.leaves(params))
    what = f"{count:,} {config.dtype} parameters, their gradients and {config.optimizer}'s state"
    with about("hidden" if config.hidden else "model"):
        memory.check_fits("run", memory.training_bytes(params, jax.eval_shape(optimizer.init, params)), what)


def target_units(data: Prepared, y):
    """Regression targets or predictions back in the data set's units (in the scaler's dtype, float32)."""
    values = y.reshape(-1, 1) if y.ndim == 1 else y
    return preprocessing.inverse_transform(data.target_scaler, values.astype(data.target_scaler.scale.dtype))


def total_steps(config: RunConfig, steps_per_epoch: int) -> int:
    """The optimizer steps of the whole run."""
    return config.steps or config.epochs * steps_per_epoch
