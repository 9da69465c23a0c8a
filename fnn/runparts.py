r"""The configuration of a run, and the pieces it builds: data, model, objective, optimizer, controls.

``RunConfig`` is a frozen description of everything ``fnn train`` can set, with a JSON
round trip; ``build(config)`` turns it into ``RunParts`` that ``fnn.run.run`` trains.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from fnn import optim, regularizers, tasks, validate
from fnn.data import augment as augmentation
from fnn.data import datasets, preprocessing
from fnn.data.prepare import Prepared, prepare
from fnn.fit import Controls
from fnn.fit import steps_per_epoch as steps_per_epoch_of
from fnn.models import mlp
from fnn.objective import Objective
from fnn.optim import control, schedules
from fnn.optim.injectable import hyperparameters
from fnn.regularizers import Penalty
from fnn.train import autodiff

GRADIENTS = ("auto", "manual")
FULL_BATCH = ("rprop",)
"""Optimizers whose default minibatch is the whole training set (Rprop follows the sign of the full gradient)."""
DEFAULT_BATCH_SIZE = 64
DTYPES = ("float32", "float64")


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """Everything a run is made of. See ``fnn train --help`` for each setting.

    ``hyper`` holds the optimizer's own hyperparameters (e.g. ``{"b1": 0.9}``),
    ``schedule_args`` the schedule's (``total_steps`` defaults to the whole run),
    ``augment`` the training-batch augmentation (``noise``, ``shift``, ``flip``).
    ``val_fraction`` 0 trains on the whole training part (no validation set; the controls
    then watch the training loss). ``steps``, when set, replaces ``epochs`` as the length of the run. ``batch_size`` None
    means 64, or the whole training set for the full-batch methods of ``FULL_BATCH``.
    """

    dataset: str = "digits"
    data_dir: str | None = None
    stratify: bool = False
    val_fraction: float = 0.2
    scaling: str = "standardize"
    hidden: tuple = (128, 128)
    activation: str = "relu"
    pieces: int = 2
    residual: bool = False
    initializer: str = "he_normal"
    bias: str = "zeros"
    batchnorm: str | None = None
    batchnorm_momentum: float = 0.9
    dropout: float = 0.0
    dropout_form: str = "inverted"
    loss: str = "softmax_cross_entropy"
    regularizer: str | None = None
    strength: float = 1e-4
    optimizer: str = "adam"
    lr: float | None = None
    hyper: dict = dataclasses.field(default_factory=dict)
    schedule: str | None = None
    schedule_args: dict = dataclasses.field(default_factory=dict)
    clip_norm: float | None = None
    weight_decay: float | None = None
    early_stopping: int | None = None
    plateau: int | None = None
    averaging: str | None = None
    snapshots: int | None = None
    augment: dict = dataclasses.field(default_factory=dict)
    monitor: bool = False
    batch_size: int | None = None
    epochs: int = 30
    steps: int | None = None
    shuffle: bool = True
    seed: int = 0
    gradients: str = "auto"
    dtype: str = "float32"
    checkpoint_every: int = 1

    def __post_init__(self):
        if not isinstance(self.hidden, (tuple, list)) or not all(_is_int(h) and h > 0 for h in self.hidden):
            raise ValueError(f"RunConfig: expected hidden to be a sequence of positive ints, got {self.hidden!r}")
        object.__setattr__(self, "hidden", tuple(self.hidden))
        for name in ("batch_size", "epochs", "steps", "checkpoint_every", "pieces", "seed", "early_stopping",
                     "plateau", "snapshots"):
            value = getattr(self, name)
            if value is not None and not _is_int(value):
                raise TypeError(f"RunConfig: expected {name} to be an int, got {value!r}")
        for name in ("hyper", "schedule_args", "augment"):
            if not isinstance(getattr(self, name), dict):
                raise TypeError(f"RunConfig: expected {name} to be a dict, got {getattr(self, name)!r}")
        optim.get(self.optimizer)
        _check_finite_numbers(self)
        if self.regularizer is not None:
            validate.choice("RunConfig", "regularizer", self.regularizer, regularizers.BY_NAME)
        validate.number_in("RunConfig", "val_fraction", self.val_fraction, 0.0, 1.0, high_open=True)
        validate.choice("RunConfig", "scaling", self.scaling, preprocessing.FITTERS)
        validate.choice("RunConfig", "dataset", self.dataset, datasets.NAMES)
        validate.choice("RunConfig", "gradients", self.gradients, GRADIENTS)
        validate.choice("RunConfig", "dtype", self.dtype, DTYPES)
        tasks.for_loss(self.loss)
        for name in ("batch_size", "epochs", "steps", "checkpoint_every"):
            validate.number_in("RunConfig", name, getattr(self, name), 1)
        if self.data_dir is not None and self.dataset != "mnist":
            raise ValueError(f"RunConfig: data_dir is for the mnist data set, got dataset {self.dataset!r}")
        if self.lr is not None and self.schedule is not None:
            raise ValueError("RunConfig: lr and schedule exclude each other; give the schedule's rate in schedule_args")
        if self.schedule_args and self.schedule is None:
            raise ValueError("RunConfig: schedule_args needs a schedule")
        build_controls(self)  # every setting is checked here, before any data is loaded
        build_augment(self)

    def to_dict(self) -> dict:
        """A JSON-able dict (tuples become lists)."""
        return {field.name: list(v) if isinstance(v := getattr(self, field.name), tuple) else v
                for field in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, values: dict) -> RunConfig:
        """The inverse of ``to_dict``; unknown keys are an error naming them."""
        unknown = sorted(set(values) - {field.name for field in dataclasses.fields(cls)})
        if unknown:
            raise ValueError(f"RunConfig: unknown settings {', '.join(unknown)}")
        return cls(**values)


def _check_finite_numbers(config: RunConfig) -> None:
    """Every number of a run is finite (a configuration is stored as strict JSON)."""
    numbers = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
    for group in ("hyper", "schedule_args", "augment"):
        numbers |= {f"{group}.{k}": v for k, v in numbers.pop(group).items()}
    for name, value in numbers.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"RunConfig: expected {name} to be a finite number, got {value}")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


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


def model_name(config: RunConfig, in_shape, output_units: int) -> str:
    """A one-line name like ``MLP 64-128-128-10 relu`` (``residual``, ``maxout x2`` when set)."""
    sizes = "-".join(map(str, (*in_shape, *config.hidden, output_units)))
    activation = f"maxout x{config.pieces}" if config.activation == "maxout" else config.activation
    return f"{'residual ' if config.residual else ''}MLP {sizes} {activation}"


def build_model(config: RunConfig, output_units: int):
    """The MLP of the configuration."""
    return mlp.mlp(config.hidden, output_units, activation=config.activation, pieces=config.pieces,
                   initializer=config.initializer, bias=config.bias, batchnorm=config.batchnorm,
                   batchnorm_momentum=config.batchnorm_momentum, dropout=config.dropout,
                   dropout_form=config.dropout_form, residual=config.residual)


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


def build_controls(config: RunConfig) -> Controls:
    """Early stopping, plateau, averaging and snapshots of the configuration."""
    snapshots = None
    if config.snapshots is not None:
        cycles = config.schedule_args.get("cycles")
        if config.schedule != "cosine_restarts" or not cycles or config.epochs % cycles:
            raise ValueError("RunConfig: snapshots needs schedule cosine_restarts with cycles dividing epochs")
        snapshots = control.SnapshotEnsemble(cycle_epochs=config.epochs // cycles, keep=config.snapshots)
    return Controls(
        early_stopping=control.EarlyStopping(patience=config.early_stopping) if config.early_stopping is not None else None,
        plateau=control.ReduceOnPlateau(factor=0.5, patience=config.plateau) if config.plateau is not None else None,
        averaging=control.Averaging(config.averaging) if config.averaging is not None else None,
        snapshots=snapshots)


def build_augment(config: RunConfig):
    """The ``augment(key, X)`` of ``config.augment`` (noise std, shift in pixels, flip probability), or None."""
    unknown = sorted(set(config.augment) - {"noise", "shift", "flip"})
    if unknown:
        raise ValueError(f"RunConfig: unknown augmentation {', '.join(unknown)}; expected noise, shift, flip")
    parts = []
    if {"shift", "flip"} & set(config.augment):
        if config.dataset not in datasets.IMAGE_SHAPES:
            raise ValueError(f"RunConfig: augmentation shift and flip need image data ({', '.join(datasets.IMAGE_SHAPES)})")
        shape = datasets.IMAGE_SHAPES[config.dataset]
        if "shift" in config.augment:
            parts.append(augmentation.random_shift(shape, config.augment["shift"]))
        if "flip" in config.augment:
            parts.append(augmentation.horizontal_flip(shape, config.augment["flip"]))
    if "noise" in config.augment:
        parts.append(augmentation.gaussian_noise(config.augment["noise"]))
    return augmentation.compose(*parts) if parts else None


def _task(config: RunConfig, data: Prepared):
    task = tasks.for_loss(config.loss)
    if task.is_classifier != (data.num_classes > 0):
        kind = "class labels" if data.num_classes else "real-valued targets"
        raise ValueError(f"RunConfig: loss {config.loss} does not fit {config.dataset}, which has {kind}")
    if config.snapshots is not None and not isinstance(task, tasks.Classification):
        raise ValueError(f"RunConfig: snapshots average softmax probabilities; they need a classification loss, "
                         f"got {config.loss}")
    return task


def build(config: RunConfig, *, value_and_grad: Callable | None = None) -> RunParts:
    """Load the data and build the model, objective, optimizer and controls of a run."""
    if config.dtype == "float64" and not jax.config.jax_enable_x64:
        jax.config.update("jax_enable_x64", True)
    if config.gradients == "manual" and value_and_grad is None:
        raise ValueError("run: gradients 'manual' needs value_and_grad=reference.backprop.value_and_grad "
                         "(fnn never imports reference)")
    data_key, init_key, fit_key = jax.random.split(jax.random.key(config.seed), 3)
    data = prepare(config.dataset, key=data_key, stratify=config.stratify, data_dir=config.data_dir,
                   val_fraction=config.val_fraction, scaling=config.scaling)
    dtype = jnp.dtype(config.dtype)
    data = data._replace(**{name: (X.astype(dtype), y.astype(dtype) if data.num_classes == 0 else y)
                            for name, (X, y) in zip(("train", "val", "test"), data[:3])})
    task = _task(config, data)
    output_units = task.output_units(data.num_classes or 1)
    model = build_model(config, output_units)
    in_shape = data.train[0].shape[1:]
    _, params, _ = model.init(init_key, in_shape, dtype=dtype)
    penalty = Penalty(config.regularizer, config.strength) if config.regularizer else None
    objective = Objective(model, task, penalty)
    batch_size = config.batch_size or (len(data.train[1]) if config.optimizer in FULL_BATCH else DEFAULT_BATCH_SIZE)
    steps_per_epoch = steps_per_epoch_of(data.train[0], batch_size)
    optimizer, schedule, name = build_optimizer(config, steps_per_epoch, model.weight_mask)
    gradients = autodiff if config.gradients == "auto" else value_and_grad
    return RunParts(config, batch_size, data, in_shape, output_units, objective, params, optimizer, name, schedule,
                    steps_per_epoch, build_controls(config), build_augment(config), gradients, fit_key)


def target_units(data: Prepared, y):
    """Regression targets or predictions back in the data set's units."""
    values = y.reshape(-1, 1) if y.ndim == 1 else y
    return preprocessing.inverse_transform(data.target_scaler, values)


def total_steps(config: RunConfig, steps_per_epoch: int) -> int:
    """The optimizer steps of the whole run."""
    return config.steps or config.epochs * steps_per_epoch
