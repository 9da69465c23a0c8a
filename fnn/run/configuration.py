r"""``RunConfig``: everything a run is made of, checked whole before any data is loaded.

A configuration is a frozen dataclass with a JSON round trip (``to_dict`` /
``from_dict``). Every setting is checked when the configuration is made, and a wrong one
is a ``SettingError`` that names it (``setting``: a field, or ``hyper.b1``,
``schedule_args.cycles``, ``augment.flip``), what was expected and what was received; the
command line turns the setting into its flag. The small objects a configuration describes
(the model spec, the controls, the augmentation) are built here, so building them is the
check.
"""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp

from fnn import initializers, optim, regularizers, tasks
from fnn.data import augment as augmentation
from fnn.data import datasets, preprocessing
from fnn.fit import Controls
from fnn.layers import batchnorm as batchnorm_layer
from fnn.layers import dropout as dropout_layer
from fnn.layers.dense import BIAS_INITIALIZERS
from fnn.models import autoencoder, mlp, recurrent
from fnn.optim import control, schedules
from fnn.optim.injectable import hyperparameters
from fnn.run import data_settings, models
from fnn.run.settings import KINDS, SettingError, about, check_types, normalise
from fnn.util import ranges, validate

GRADIENTS = ("auto", "manual")
DTYPES = ("float32", "float64")
COMPUTE_DTYPES = ("bfloat16",)
DEFAULT_STRENGTH = 1e-4
AUGMENTATIONS = ("noise", "shift", "flip")
NEEDS = {"pieces": ("maxout units", "activation", lambda config: config.activation == "maxout", "activation maxout"),
         "batchnorm_momentum": ("batch norm", "batchnorm", lambda config: config.batchnorm is not None,
                                "batchnorm before or after"),
         "dropout_form": ("dropout", "dropout", lambda config: config.dropout != 0, "a dropout rate above 0")}
"""Settings that only act with another: name -> (what it applies to, the other setting, whether the
configuration has it, what that expects). Set without it, such a setting would be silently ignored."""
FREEZE = ("body",)
"""What ``freeze`` may hold: the body, every layer below the head (``fnn.transfer``)."""


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """Everything a run is made of. See ``fnn train --help`` for each setting.

    ``hyper`` holds the optimizer's own hyperparameters (e.g. ``{"b1": 0.9}``),
    ``schedule_args`` the schedule's (``total_steps`` defaults to the whole run),
    ``augment`` the training-batch augmentation (``noise``, ``shift``, ``flip``).
    ``val_fraction`` 0 trains on the whole training part (no validation set; the controls
    then watch the training loss). ``steps``, when set, replaces ``epochs`` as the length
    of the run. ``batch_size`` None means 64 (or all training samples when there are fewer), or the
    whole training set for the full-batch
    methods (``fnn.run.assembly.FULL_BATCH``). ``strength`` is the regularizer's lambda (None:
    ``DEFAULT_STRENGTH``; it needs a regularizer). ``loss`` None means the data's default:
    softmax cross-entropy for class labels, MSE for real-valued targets and for the
    autoencoder, whose targets are its inputs. NumPy integers are accepted where ints are.
    ``classes`` keeps only those classes (empty: all), renumbered 0..K-1 in the order given;
    ``labels_per_class`` keeps the first K training samples of each (``fnn.data.prepare``).
    ``init_from`` starts from the trained run in that folder (``fnn.transfer``): its body,
    and its head too when both runs predict the same classes of the same data set;
    ``freeze`` "body" then trains only the head, ``body_lr_scale`` s trains the body with s
    times the learning rate. ``train_scores`` False skips the per-epoch evaluation of the
    training set (its accuracy, ...), a forward pass over it (``fnn.fit.fit(train_scores=)``).
    ``deterministic`` asks for XLA's deterministic GPU kernels (``fnn.util.xla_flags``), which must
    be in ``XLA_FLAGS`` before JAX starts; the run checks that they are.
    """

    dataset: str = "digits"
    data_dir: str | None = None
    data: str | None = None
    target: str | None = None
    target_type: str | None = None
    stratify: bool = False
    val_fraction: float = 0.2
    scaling: str | None = None
    classes: tuple = ()
    labels_per_class: int | None = None
    model: str = "mlp"
    decoder: str = "transpose"
    cell: str = "gru"
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
    loss: str | None = None
    regularizer: str | None = None
    strength: float | None = None
    optimizer: str = "adam"
    lr: float | None = None
    hyper: dict = dataclasses.field(default_factory=dict)
    schedule: str | None = None
    schedule_args: dict = dataclasses.field(default_factory=dict)
    clip_norm: float | None = None
    weight_decay: float | None = None
    init_from: str | None = None
    freeze: str | None = None
    body_lr_scale: float | None = None
    early_stopping: int | None = None
    plateau: int | None = None
    averaging: str | None = None
    snapshots: int | None = None
    augment: dict = dataclasses.field(default_factory=dict)
    monitor: bool = False
    train_scores: bool = True
    batch_size: int | None = None
    epochs: int = 30
    steps: int | None = None
    shuffle: bool = True
    seed: int = 0
    gradients: str = "auto"
    dtype: str = "float32"
    compute_dtype: str | None = None
    checkpoint_every: int = 1
    devices: int | None = None
    deterministic: bool = False

    def __post_init__(self):
        normalise(self)
        check_types(self, groups=("schedule_args", "augment"))
        _check_items(self)
        _check_choices(self)
        _check_ranges(self)
        data_settings.check(self)
        _check_model(self)
        _check_combinations(self)
        _check_transfer(self)
        _check_optimizer(self)
        build_model(self, output_units=1)
        build_controls(self)
        build_augment(self)

    @property
    def feature_scaling(self) -> str:
        """``scaling``, or by default "standardize" for the MLP and "min_max" for the convolutional
        models (their kernels slide over every pixel, so the pixels keep their common scale; the
        autoencoder's sigmoid outputs reconstruct values in [0, 1]); text keeps its character ids."""
        if self.dataset in datasets.TEXT:
            return "none"
        return self.scaling or models.get(self.model).scaling

    @property
    def task(self):
        """The ``fnn.tasks`` task of ``loss`` (``Reconstruction`` for the autoencoder), the default loss if unset."""
        fixed = models.get(self.model).task
        if fixed is not None:
            return fixed(self.loss)
        return tasks.for_loss(self.loss or ("mse" if self.regression else "softmax_cross_entropy"))

    @property
    def regression(self) -> bool:
        """Whether the data's targets are real values: a regression data set, or a file's regression target."""
        return self.dataset in datasets.REGRESSION or self.target_type == "regression"

    @property
    def table(self) -> tuple | None:
        """The (path, target, target type) of the file data set (``fnn.data.datasets.from_file``); None for others."""
        return (self.data, self.target, self.target_type) if self.dataset == datasets.FILE else None

    @property
    def penalty_strength(self) -> float:
        """The regularizer's lambda: ``strength``, or ``DEFAULT_STRENGTH`` when it is None."""
        return DEFAULT_STRENGTH if self.strength is None else self.strength

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


def _check_items(config: RunConfig) -> None:
    for name in ("hidden", "classes"):
        for index, value in enumerate(getattr(config, name)):
            with about(name):
                ranges.check("RunConfig", f"{name}[{index}]", value, ranges.RANGES[name])


def _check_choices(config: RunConfig) -> None:
    choices = {"model": models.MODELS, "decoder": autoencoder.DECODERS, "cell": recurrent.CELLS, "dataset": datasets.NAMES,
               "activation": mlp.ACTIVATIONS, "initializer": initializers.BY_NAME, "bias": BIAS_INITIALIZERS,
               "dropout_form": dropout_layer.FORMS, "optimizer": optim.BY_NAME, "gradients": GRADIENTS, "dtype": DTYPES}
    optional = {"loss": tasks.BY_LOSS, "scaling": preprocessing.FITTERS, "batchnorm": mlp.BATCHNORM_PLACES,
                "regularizer": regularizers.BY_NAME, "freeze": FREEZE, "schedule": schedules.BY_NAME,
                "averaging": control.AVERAGING_KINDS, "compute_dtype": COMPUTE_DTYPES}
    for name, allowed in (choices | optional).items():
        value = getattr(config, name)
        if not (name in optional and value is None):
            with about(name):
                validate.choice("RunConfig", name, value, allowed)


def _check_ranges(config: RunConfig) -> None:
    """Every numeric setting in its range of ``fnn.util.ranges.RANGES`` (``_check_items``: the items of hidden
    and classes), then dropout and batch norm by their layers' own checks."""
    for name in (field.name for field in dataclasses.fields(config) if field.name in ranges.RANGES):
        if getattr(config, name) is not None and not isinstance(getattr(config, name), tuple):
            with about(name):
                ranges.check("RunConfig", name, getattr(config, name))
    with about("dropout"):
        dropout_layer.check(config.dropout, config.dropout_form)
    with about("batchnorm_momentum"):
        batchnorm_layer.check(config.batchnorm_momentum, 1e-5)
    if config.residual and len(set(config.hidden)) > 1:
        raise SettingError("residual", f"expected equal hidden widths for residual blocks, got {config.hidden!r}")


def _check_model(config: RunConfig) -> None:
    model = models.get(config.model)
    for name in models.SETTINGS:
        if name not in model.settings and getattr(config, name) != _default(name):
            readers = models.reading(name)
            listed = readers[0] if len(readers) == 1 else f"{', '.join(readers[:-1])} and {readers[-1]}"
            raise SettingError(name, f"applies to the {listed} model{'s' * (len(readers) > 1)}, got model {config.model}")
    if model.writes_text != (config.dataset in datasets.TEXT):
        raise SettingError("model", models.PAIRED_WITH_TEXT.format(accepted=", ".join(datasets.TEXT), model=config.model,
                                                                   dataset=config.dataset))
    if config.dataset in datasets.TEXT and config.scaling not in (None, "none"):
        raise SettingError("scaling", f"text is character ids: expected no scaling, got {config.scaling}")
    if config.dataset not in model.accepts:
        raise SettingError("model", model.refusal.format(model=config.model, dataset=config.dataset,
                                                         accepted=", ".join(model.accepts)))
    if config.activation == "maxout" and config.model != "mlp":
        raise SettingError("activation", f"maxout applies to the mlp model, got model {config.model}")


def _default(name: str):
    field = next(f for f in dataclasses.fields(RunConfig) if f.name == name)
    return field.default if field.default is not dataclasses.MISSING else field.default_factory()


def _check_combinations(config: RunConfig) -> None:
    if config.steps is not None and config.epochs != _default("epochs"):
        raise SettingError("steps", f"steps and epochs each set the length of the run: expected one of them, got "
                                    f"steps {config.steps} and epochs {config.epochs}")
    for name, (subject, other, has_it, wanted) in NEEDS.items():
        if getattr(config, name) != _default(name) and not has_it(config):
            raise SettingError(name, f"applies to {subject}: expected {wanted}, got {other} {getattr(config, other)}")
    if config.strength is not None and config.regularizer is None:
        raise SettingError("strength", f"is the regularizer's lambda, got {config.strength} without a regularizer")
    if config.compute_dtype is not None and config.gradients == "manual":
        raise SettingError("compute_dtype", "the hand-derived rules run in the parameters' dtype: expected gradients "
                                            "auto with mixed precision, got manual")
    if config.lr is not None and config.schedule is not None:
        raise SettingError("lr", "lr and schedule exclude each other; give the schedule's rate in schedule_args")
    if config.schedule_args and config.schedule is None:
        raise SettingError("schedule_args", f"expected a schedule to apply them to, got {config.schedule_args}")
    if config.snapshots is not None and not isinstance(config.task, tasks.Classification):
        raise SettingError("snapshots", f"snapshots average softmax probabilities: expected a classification loss, "
                                        f"got {config.task.loss}")


def _check_transfer(config: RunConfig) -> None:
    """Class subsets need class labels; freezing and a body learning rate need a source run."""
    for name in ("classes", "labels_per_class"):
        if getattr(config, name) and (config.dataset in (*datasets.REGRESSION, *datasets.TEXT)
                                      or models.get(config.model).reconstructs):
            raise SettingError(name, f"applies to class labels: expected a data set of classes, got dataset "
                                     f"{config.dataset} with model {config.model}")
    if config.classes and (len(config.classes) < 2 or len(set(config.classes)) < len(config.classes)):
        raise SettingError("classes", f"expected at least two distinct classes, got {config.classes!r}")
    for name in ("freeze", "body_lr_scale"):
        if getattr(config, name) is not None and config.init_from is None:
            raise SettingError(name, f"fine-tunes a trained run: expected init_from, got {name} "
                                     f"{getattr(config, name)!r} without it")
    if config.freeze is not None and config.body_lr_scale is not None:
        raise SettingError("body_lr_scale", f"a frozen body is not trained: expected no body_lr_scale with freeze "
                                            f"{config.freeze!r}, got {config.body_lr_scale}")


def _check_hyper_types(config: RunConfig) -> None:
    defaults = hyperparameters(optim.get(config.optimizer))
    for name, value in config.hyper.items():
        default = defaults.get(name)
        kind = "bool" if isinstance(default, bool) else "str" if isinstance(default, str) else "float"
        if name in defaults and not KINDS[kind][1](value):
            raise SettingError(f"hyper.{name}", f"expected {KINDS[kind][0]}, got {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise SettingError(f"hyper.{name}", f"expected a finite number, got {value!r}")


def _optimizer_arguments(config: RunConfig) -> dict:
    """The arguments of ``optim.injectable`` each setting gives: setting -> keyword arguments."""
    arguments = {"lr": {} if config.lr is None else {"learning_rate": config.lr}}
    arguments |= {f"hyper.{name}": {name: value} for name, value in config.hyper.items()}
    if config.schedule is not None:
        schedule_args = dict(config.schedule_args)
        if "total_steps" in hyperparameters(schedules.get(config.schedule)):
            schedule_args.setdefault("total_steps", 1)  # the run's length is known only when it is built
        arguments["schedule_args"] = {"schedule": config.schedule, "schedule_args": schedule_args}
    arguments["clip_norm"] = {"clip_norm": config.clip_norm}
    arguments["weight_decay"] = {"weight_decay": config.weight_decay, "weight_decay_mask": lambda params: params}
    return arguments


def _check_optimizer(config: RunConfig) -> None:
    """Build the optimizer once, with every setting; only when that fails, once per setting, so the
    error names the setting at fault (or the hyperparameters together: rprop's min_step <= max_step)."""
    _check_hyper_types(config)
    arguments = _optimizer_arguments(config)
    try:
        optim.injectable(config.optimizer, **{k: v for part in arguments.values() for k, v in part.items()})
    except (ValueError, TypeError) as error:
        for setting, part in arguments.items():
            with about(setting):
                optim.injectable(config.optimizer, **part)
        with about("hyper"):
            optim.injectable(config.optimizer, **config.hyper)
        raise SettingError("optimizer", str(error)) from None


def enable_dtype(config: RunConfig):
    """The run's dtype, after turning on ``jax_enable_x64`` for a float64 run."""
    if config.dtype == "float64" and not jax.config.jax_enable_x64:
        jax.config.update("jax_enable_x64", True)
    return jnp.dtype(config.dtype)


def build_model(config: RunConfig, output_units: int):
    """The model of the configuration, built by its entry of ``fnn.run.models``."""
    return models.get(config.model).build(config, output_units)


def build_controls(config: RunConfig) -> Controls:
    """Early stopping, plateau, averaging and snapshots of the configuration."""
    controls = {}
    with about("early_stopping"):
        if config.early_stopping is not None:
            controls["early_stopping"] = control.EarlyStopping(patience=config.early_stopping)
    with about("plateau"):
        if config.plateau is not None:
            controls["plateau"] = control.ReduceOnPlateau(factor=0.5, patience=config.plateau)
    if config.averaging is not None:
        controls["averaging"] = control.Averaging(config.averaging)
    if config.snapshots is not None:
        cycles = config.schedule_args.get("cycles")
        if config.schedule != "cosine_restarts" or not cycles or config.epochs % cycles:
            raise SettingError("snapshots", "expected schedule cosine_restarts with cycles dividing epochs, got "
                                            f"schedule {config.schedule}, cycles {cycles}, epochs {config.epochs}")
        with about("snapshots"):
            controls["snapshots"] = control.SnapshotEnsemble(cycle_epochs=config.epochs // cycles, keep=config.snapshots)
    return Controls(**controls)


def build_augment(config: RunConfig):
    """The ``augment(key, X)`` of ``config.augment`` (noise std, shift in pixels, flip probability), or None."""
    unknown = sorted(set(config.augment) - set(AUGMENTATIONS))
    if unknown:
        raise SettingError("augment", f"expected {', '.join(AUGMENTATIONS)}, got {', '.join(unknown)}")
    parts = []
    if {"shift", "flip"} & set(config.augment) and config.dataset not in datasets.IMAGE_SHAPES:
        raise SettingError("augment", f"shift and flip need image data ({', '.join(datasets.IMAGE_SHAPES)}), "
                                      f"got dataset {config.dataset}")
    if {"shift", "flip"} & set(config.augment) and models.get(config.model).reconstructs:
        raise SettingError("augment", "the autoencoder's target is its unaugmented input: expected noise only "
                                      f"(a denoising autoencoder), got {', '.join(sorted(config.augment))}")
    if "flip" in config.augment and config.dataset in datasets.DIGIT_IMAGES:
        raise SettingError("augment.flip", f"a mirrored digit is not the same digit: expected no flips on "
                                           f"{config.dataset}, got flip={config.augment['flip']}")
    shape = datasets.IMAGE_SHAPES.get(config.dataset)
    for name, make in (("shift", lambda v: augmentation.random_shift(shape, v)),
                       ("flip", lambda v: augmentation.horizontal_flip(shape, v)),
                       ("noise", augmentation.gaussian_noise)):
        if name in config.augment:
            with about(f"augment.{name}"):
                parts.append(make(config.augment[name]))
    return augmentation.compose(*parts) if parts else None
