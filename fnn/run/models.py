"""The table of models ``fnn train --model`` knows: one entry each, read by the configuration's
checks, the builder, the trained model, the pictures and the help text.

An entry says how to build the model from a configuration, which data sets it accepts, which
settings it reads, its default feature scaling, its task when the model fixes it, and what a
run draws of it. Adding a model is one entry here, its builder in ``fnn.models`` and a test
(see the docs' "Adding a model").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from fnn import tasks
from fnn.data import datasets
from fnn.models import autoencoder, cnn, mlp, recurrent


@dataclasses.dataclass(frozen=True)
class Model:
    """One ``--model``.

    Attributes:
        name: the ``--model`` value. help: one phrase for ``fnn train --help``.
        build: ``(config, output_units) -> layer spec``.
        describe: ``(config, in_shape, output_units) -> str``, the one-line name a run prints.
        accepts: the data sets it trains on; ``refusal`` says why another is refused
            (``{model}``, ``{dataset}`` and ``{accepted}`` are filled in).
        settings: the model settings it reads (the others must keep their defaults).
        scaling: its default feature scaling.
        task: ``loss -> task`` when the model fixes its task (None: the data's).
        reconstructs: its targets are its inputs (an autoencoder).
        draws_filters: a run draws its first convolution's filters and feature maps.
        receptive_fields: a run prints its receptive fields.
        writes_text: it is a language model (``fnn sample``).
    """

    name: str
    help: str
    build: Callable
    describe: Callable
    accepts: tuple[str, ...]
    refusal: str
    settings: tuple[str, ...]
    scaling: str = "standardize"
    task: Callable | None = None
    reconstructs: bool = False
    draws_filters: bool = False
    receptive_fields: bool = False
    writes_text: bool = False


def _widths(config) -> str:
    return "-".join(map(str, config.hidden))


def _build_mlp(config, output_units: int):
    return mlp.mlp(config.hidden, output_units, activation=config.activation, pieces=config.pieces,
                   initializer=config.initializer, bias=config.bias, batchnorm=config.batchnorm,
                   batchnorm_momentum=config.batchnorm_momentum, dropout=config.dropout,
                   dropout_form=config.dropout_form, residual=config.residual)


def _describe_mlp(config, in_shape, output_units: int) -> str:
    sizes = "-".join(map(str, (*in_shape, *config.hidden, output_units)))
    activation = f"maxout x{config.pieces}" if config.activation == "maxout" else config.activation
    return f"{'residual ' if config.residual else ''}MLP {sizes} {activation}"


def _cnn_preset(config) -> dict:
    return cnn.PRESETS["mnist1d" if config.dataset == "mnist1d" else "image"]


def _build_cnn(config, output_units: int):
    return cnn.cnn(datasets.SAMPLE_SHAPES[config.dataset], output_units, **_cnn_preset(config), hidden=config.hidden,
                   activation=config.activation, initializer=config.initializer)


def _describe_cnn(config, in_shape, output_units: int) -> str:
    preset = _cnn_preset(config)
    head = "-".join(map(str, (*config.hidden, output_units)))
    body = cnn.describe(datasets.SAMPLE_SHAPES[config.dataset], preset["channels"], preset["kernel"], preset["pool"])
    return f"{body} dense {head} {config.activation}"


def _build_autoencoder(config, output_units: int):
    return autoencoder.conv_autoencoder(datasets.SAMPLE_SHAPES[config.dataset], **autoencoder.PRESET,
                                        decoder=config.decoder, activation=config.activation,
                                        initializer=config.initializer)


def _describe_autoencoder(config, in_shape, output_units: int) -> str:
    return autoencoder.describe(datasets.SAMPLE_SHAPES[config.dataset], autoencoder.PRESET["channels"],
                                config.decoder, autoencoder.PRESET["pool"]) + f" {config.activation}"


def _build_sequence_classifier(config, output_units: int):
    return recurrent.sequence_classifier(datasets.SEQUENCE_SHAPES[config.dataset], output_units, cell=config.model,
                                         hidden=config.hidden)


def _describe_sequence_classifier(config, in_shape, output_units: int) -> str:
    sizes = "x".join(map(str, datasets.SEQUENCE_SHAPES[config.dataset]))
    return f"bidirectional {config.model} {_widths(config)} over {sizes} sequences, dense {output_units}"


def _build_language_model(config, output_units: int):
    return recurrent.language_model(output_units, cell=config.cell, hidden=config.hidden)


def _describe_language_model(config, in_shape, output_units: int) -> str:
    return (f"character LM: embedding {recurrent.EMBEDDING_DIM}, {config.cell} {_widths(config)}, "
            f"softmax over {output_units}")


TABULAR = tuple(name for name in datasets.NAMES if name not in datasets.TEXT)
IMAGE_SETTINGS = ("hidden", "activation", "initializer")
PAIRED_WITH_TEXT = "the rnn-lm model and the text data sets ({accepted}) go together, got model {model} on dataset {dataset}"

MODELS = {model.name: model for model in (
    Model("mlp", "a multilayer perceptron (--hidden widths, --activation, --batchnorm, --dropout, --residual)",
          _build_mlp, _describe_mlp, TABULAR, PAIRED_WITH_TEXT,
          ("hidden", "activation", "pieces", "residual", "initializer", "bias", "batchnorm", "dropout")),
    Model("cnn", "the convolutional network of fnn.models.cnn.PRESETS for digits, mnist or mnist1d "
                 "(--hidden then sets its dense head)",
          _build_cnn, _describe_cnn, tuple(datasets.SAMPLE_SHAPES),
          "{model} needs images or sequences ({accepted}), got dataset {dataset}", IMAGE_SETTINGS, scaling="min_max",
          draws_filters=True, receptive_fields=True),
    Model("conv-autoencoder", "fnn.models.autoencoder, trained to reconstruct its inputs",
          _build_autoencoder, _describe_autoencoder, tuple(datasets.SAMPLE_SHAPES),
          "{model} needs images or sequences ({accepted}), got dataset {dataset}",
          ("decoder", "activation", "initializer"), scaling="min_max",
          task=lambda loss: tasks.Reconstruction(loss or "mse"), reconstructs=True, draws_filters=True),
    *(Model(cell, f"a bidirectional {cell} classifier reading each sample as a sequence (--hidden: its stacked layers)",
            _build_sequence_classifier, _describe_sequence_classifier, tuple(datasets.SEQUENCE_SHAPES),
            "{model} reads each sample as a sequence: expected one of {accepted}, got dataset {dataset}", ("hidden",))
      for cell in recurrent.CELLS),
    Model("rnn-lm", "the character language model of --dataset pysource (fnn.models.recurrent; --cell)",
          _build_language_model, _describe_language_model, datasets.TEXT, PAIRED_WITH_TEXT, ("hidden", "cell"),
          scaling="none", task=lambda loss: tasks.PerStep(loss or "softmax_cross_entropy"), writes_text=True),
)}
"""Every ``--model``, by name, in the order ``fnn train --help`` lists them."""

SETTINGS = tuple(dict.fromkeys(name for model in MODELS.values() for name in model.settings))
"""The settings some model reads: with another model each must keep its default."""


def get(name: str) -> Model:
    """The entry of ``--model name``."""
    return MODELS[name]


def reading(setting: str) -> tuple[str, ...]:
    """The models that read ``setting``, in table order."""
    return tuple(name for name, model in MODELS.items() if setting in model.settings)
