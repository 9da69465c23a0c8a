"""The flags of ``fnn train``: each one a setting of ``fnn.run.configuration.RunConfig``, or one about the invocation.

``add_train(sub)`` adds the sub-command with its flags in groups (data and model, training,
transfer, output); ``config_values`` maps parsed flags to ``RunConfig`` fields.
"""

from __future__ import annotations

import argparse

from fnn import initializers, optim, regularizers, tasks
from fnn.data import datasets, tabular
from fnn.layers.dense import BIAS_INITIALIZERS
from fnn.models import autoencoder, mlp, recurrent
from fnn.models.mlp import BATCHNORM_PLACES
from fnn.optim import control, schedules
from fnn.optim.injectable import hyperparameters
from fnn.run import configuration, models
from fnn.util import ranges

DEFAULT_OUT = "runs"


class DefaultsShown(argparse.HelpFormatter):
    """Help that ends each flag's line with its default, where it has a value to show."""

    def _get_help_string(self, action):
        unset = action.default is None or action.nargs == 0 or action.default is argparse.SUPPRESS  # nargs 0: a switch
        shown = not unset and action.default != {} and "default" not in (action.help or "")
        return f"{action.help} (default: %(default)s)" if shown else action.help


def _int_tuple(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated widths like 128,128, got {text!r}") from None
    if any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(f"expected positive widths, got {text!r}")
    return sizes


def _boolean(text: str) -> bool:
    if text.lower() not in ("true", "false"):
        raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")
    return text.lower() == "true"


def _number(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _key_values(text: str) -> dict:
    pairs = [part.split("=", 1) for part in text.split(",") if part.strip()]
    if any(len(p) != 2 for p in pairs):
        raise argparse.ArgumentTypeError(f"expected name=value pairs like init_value=0.1,cycles=5, got {text!r}")
    return {k.strip(): _number(v.strip()) for k, v in pairs}


def _optimizer_flags(p) -> None:
    """One flag per hyperparameter of any optimizer, typed from its first default (--lr for
    learning_rate); the help names the optimizers it belongs to and their defaults."""
    owners: dict[str, list] = {}
    for optimizer, factory in optim.BY_NAME.items():
        for name, default in hyperparameters(factory).items():
            owners.setdefault(name, []).append((optimizer, default))
    rates = ", ".join(f"{optimizer} {default:g}" for optimizer, default in owners.pop("learning_rate"))
    p.add_argument("--lr", type=float, default=None, help=f"learning rate (defaults: {rates})")
    for name, uses in sorted(owners.items()):
        default = uses[0][1]
        kind = _boolean if isinstance(default, bool) else type(default)
        p.add_argument(f"--{name.replace('_', '-')}", type=kind, default=None, dest=f"hp_{name}", metavar=name.upper(),
                       help="of " + ", ".join(f"{optimizer} (default {value})" for optimizer, value in uses))


def _classes(text: str) -> tuple[int, ...]:
    """Class labels like 0-4 or 5,7,9 (ranges inclusive, in the order given)."""
    classes = []
    for part in (part.strip() for part in text.split(",") if part.strip()):
        low, _, high = part.partition("-")
        try:
            low, high = int(low), int(high or low)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected class labels like 0-4 or 5,7,9, got {text!r}") from None
        if high < low:
            raise argparse.ArgumentTypeError(f"expected ranges from the lower label to the higher like 1-3, got {part!r}")
        try:
            ranges.check("flag", "classes", high)  # before the range is spelled out
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error).removeprefix("flag: ")) from None
        classes += range(low, high + 1)
    return tuple(classes)



def add_train(sub):
    """Add ``fnn train`` and its flags to the ``fnn`` parser's sub-commands."""
    p = sub.add_parser("train", help="train a model and save its history, curves and parameters",
                       formatter_class=DefaultsShown)
    add_run_flags(p)
    _add_transfer_flags(p)
    _add_output_flags(p)
    return p


def add_run_flags(p):
    """The flags of the run itself: data, model and training (``fnn search`` shares them)."""
    _add_data_and_model_flags(p)
    _add_training_flags(p)


def _add_transfer_flags(p):
    p.add_argument("--classes", type=_classes, default=(), metavar="LABELS",
                   help="train and test on these classes only, e.g. 0-4 or 5,7,9 (renumbered 0..K-1 in this "
                        "order; predictions give the original labels); default: all")
    p.add_argument("--labels-per-class", type=int, default=None, metavar="K",
                   help="keep only K labelled training samples of each class (a random sample; the scaling is "
                        "still fitted on every training input)")
    p.add_argument("--init-from", default=None, metavar="RUN_DIR",
                   help="start from the trained run in RUN_DIR (same architecture): every layer below the head, "
                        "and the head too when both runs predict the same classes of the same data set")
    p.add_argument("--freeze", default=None, choices=list(configuration.FREEZE),
                   help="with --init-from: train only the head, the body keeps the source run's parameters")
    p.add_argument("--body-lr-scale", type=float, default=None, metavar="S",
                   help="with --init-from: train the body with S times the learning rate (e.g. 0.1)")


def _add_data_and_model_flags(p):
    p.add_argument("--dataset", default="digits", choices=datasets.NAMES,
                   help=f"a built-in data set, or {datasets.FILE}: your own, given by --data")
    p.add_argument("--data-dir", default=None, help="folder of the IDX files for --dataset mnist")
    p.add_argument("--data", default=None, metavar="FILE",
                   help="your own data: a CSV file with a header row, a .npz with arrays X and y, or a 2-D .npy")
    p.add_argument("--target", default=None, metavar="COLUMN",
                   help="the target column of --data: its name in a CSV file, its index in a .npy array")
    p.add_argument("--target-type", default=None, choices=tabular.TASKS,
                   help="what to predict from --data (default: classification for text and whole numbers, "
                        "regression for other numbers)")
    p.add_argument("--stratify", action="store_true", help="stratified train/val/test split")
    p.add_argument("--scaling", default=None, choices=["standardize", "min_max", "none"],
                   help="feature scaling fitted on the training split (none: the data as published; "
                        "default: standardize for --model mlp, min_max for the convolutional models)")
    p.add_argument("--val-fraction", type=float, default=0.2,
                   help="part of the training data held out for validation (0: none)")
    p.add_argument("--model", default="mlp", choices=list(models.MODELS),
                   help="; ".join(f"{model.name}: {model.help}" for model in models.MODELS.values()))
    p.add_argument("--cell", default="gru", choices=list(recurrent.CELLS), help="the recurrent cell of --model rnn-lm")
    p.add_argument("--decoder", default="transpose", choices=autoencoder.DECODERS,
                   help="how the conv-autoencoder goes back up: transposed convolutions, or max-unpooling at the "
                        "switches of its max-pooling, each followed by a convolution")
    p.add_argument("--hidden", type=_int_tuple, default=(128, 128), help="hidden widths, e.g. 128,128 (empty: none)")
    p.add_argument("--activation", default="relu", choices=sorted(mlp.ACTIVATIONS))
    p.add_argument("--pieces", type=int, default=2, help="linear pieces per maxout unit (--activation maxout)")
    p.add_argument("--residual", action="store_true",
                   help="skip connections around hidden layers 2..L: h = h + g(W h + b) (equal widths)")
    p.add_argument("--initializer", default="he_normal", choices=sorted(initializers.BY_NAME))
    p.add_argument("--bias-initializer", default="zeros", dest="bias", choices=BIAS_INITIALIZERS,
                   help="pytorch_uniform: U(+-1/sqrt(fan_in)), PyTorch's nn.Linear bias")
    p.add_argument("--batchnorm", default=None, choices=BATCHNORM_PLACES, help="batch norm before or after g")
    p.add_argument("--batchnorm-momentum", type=float, default=0.9, help="weight of the old running statistics")
    p.add_argument("--dropout", type=float, default=0.0, help="rate of zeroing each hidden unit")
    p.add_argument("--dropout-form", default="inverted", choices=["inverted", "lecture"])
    p.add_argument("--loss", default=None, choices=list(tasks.BY_LOSS),
                   help="the loss picks the task: classification, binary (binary_log_loss) or regression (mse, mae, "
                        "huber); default: softmax_cross_entropy for class labels, mse for real-valued targets and "
                        "the conv-autoencoder")


def _add_training_flags(p):
    p.add_argument("--regularizer", default="none", choices=["none", *regularizers.BY_NAME])
    p.add_argument("--strength", type=float, default=None,
                   help=f"lambda of the regularizer (default {configuration.DEFAULT_STRENGTH:g}; needs --regularizer)")
    p.add_argument("--optimizer", default="adam", choices=list(optim.BY_NAME))
    _optimizer_flags(p)
    p.add_argument("--schedule", default=None, choices=list(schedules.BY_NAME), help="learning-rate schedule")
    p.add_argument("--schedule-args", type=_key_values, default={},
                   help="e.g. init_value=0.01,cycles=5 (total_steps defaults to the whole run)")
    p.add_argument("--clip-norm", type=float, default=None, help="clip gradients to this global norm")
    p.add_argument("--weight-decay", type=float, default=None,
                   help="decoupled weight decay lambda on the weights (AdamW-style), times the learning rate")
    p.add_argument("--early-stopping", type=int, default=None, metavar="PATIENCE",
                   help="stop by the patience rule; restore the best epoch's parameters")
    p.add_argument("--plateau", type=int, default=None, metavar="PATIENCE",
                   help="halve the learning rate after PATIENCE epochs without improvement")
    p.add_argument("--averaging", default=None, choices=control.AVERAGING_KINDS, help="average epoch-end parameters")
    p.add_argument("--snapshots", type=int, default=None, metavar="M",
                   help="snapshot ensemble of the last M cycle ends (needs --schedule cosine_restarts)")
    p.add_argument("--augment", type=_key_values, default={},
                   help="training-batch augmentation, e.g. noise=0.1,shift=1,flip=0.5 (shift, flip: image sets)")
    p.add_argument("--monitor", action="store_true", help="record per-layer statistics; saves layers.png")
    p.add_argument("--no-train-scores", action="store_false", dest="train_scores",
                   help="skip scoring the training set after every epoch (a forward pass over it); "
                        "the records keep the mean minibatch loss (fnn search never scores it)")
    p.add_argument("--batch-size", type=int, default=None,
                   help="minibatch size (default 64, or the training set when it is smaller; the whole training set "
                        "for rprop, a full-batch method)")
    p.add_argument("--epochs", type=int, default=30, help="passes over the training set")
    p.add_argument("--steps", type=int, default=None, help="train for this many optimizer steps instead of --epochs")
    p.add_argument("--no-shuffle", action="store_false", dest="shuffle",
                   help="minibatches in the data's order, the same every epoch")
    p.add_argument("--seed", type=int, default=0, help="draws the split, the initial parameters, the minibatches")
    p.add_argument("--gradients", default="auto", choices=["auto", "manual"],
                   help="jax.value_and_grad or the lectures' hand-derived backprop")
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    p.add_argument("--compute-dtype", default=None, choices=["bfloat16"],
                   help="mixed precision: the forward and backward passes in this dtype, the parameters, "
                        "optimizer and loss in --dtype")
    p.add_argument("--devices", type=int, default=None, metavar="N",
                   help="data parallelism: split every minibatch over N devices (default: one)")
    p.add_argument("--deterministic", action="store_true",
                   help="deterministic GPU kernels (XLA's --xla_gpu_deterministic_ops, set before JAX starts; "
                        "recorded in the run); a CPU is deterministic already")


def _add_output_flags(p):
    p.add_argument("--out", default=None, help=f"output folder (default: the first of {DEFAULT_OUT}/<dataset>, "
                   f"{DEFAULT_OUT}/<dataset>-2, ... that holds no run; the --resume folder when resuming)")
    p.add_argument("--overwrite", action="store_true", help="write over the run already in --out")
    p.add_argument("--checkpoint-every", type=int, default=1, metavar="K",
                   help="write out/last.npz every K epochs (and out/best.npz at the best validation loss)")
    p.add_argument("--resume", default=None, metavar="DIR",
                   help="continue the run stored in DIR with its configuration (--epochs or --steps may grow)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.add_argument("--no-plots", action="store_true",
                   help="write the numbers without the figures (curves, confusion matrix, filters)")
    p.add_argument("--config", default=None, metavar="FILE",
                   help="start from the settings in FILE (JSON or TOML, e.g. a run's config.json); the flags given "
                        "beside it change single settings")
    p.add_argument("--print-config", action="store_true",
                   help="print the resolved configuration as JSON (a --config file) and stop before training")


INVOCATION = ("command", "out", "resume", "no_progress", "no_plots", "overwrite", "config", "print_config")
"""Flags about this invocation, not about the run."""


def with_file_dataset(values: dict, given: dict) -> dict:
    """``values`` with the data set ``file`` when ``given`` (the flags given, or a configuration file's
    settings) has ``data`` but no ``dataset``."""
    return values | {"dataset": datasets.FILE} if "data" in given and "dataset" not in given else values


def config_values(values: dict) -> dict:
    """RunConfig fields from parsed flag values (optimizer flags hp_NAME go to ``hyper``)."""
    fields = {k: v for k, v in values.items() if k not in INVOCATION and not k.startswith("hp_")}
    hyper = {k[3:]: v for k, v in values.items() if k.startswith("hp_") and v is not None}
    if hyper:
        fields["hyper"] = hyper
    if "regularizer" in fields and fields["regularizer"] == "none":
        fields["regularizer"] = None
    return fields
