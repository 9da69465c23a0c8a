"""The ``fnn`` command: ``fnn train``, ``predict``, ``evaluate``, ``sample``, ``gradcheck`` and ``experiment``.

This is the application layer, the one module of ``fnn`` allowed to import ``reference``
(for ``--gradients manual`` and the gradient table); the library never does. It parses
flags into an ``fnn.runconfig.RunConfig``, calls ``fnn.run.run`` and prints.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import fnn
from fnn import initializers, optim, regularizers, runconfig, tasks
from fnn.data import datasets
from fnn.experiments import cli as experiment_cli
from fnn.fit import Interrupted
from fnn.layers.dense import BIAS_INITIALIZERS
from fnn.models import autoencoder, mlp, recurrent
from fnn.models.mlp import BATCHNORM_PLACES
from fnn.optim import control, schedules
from fnn.optim.injectable import hyperparameters

DEFAULT_OUT = "runs"
INTERRUPTED = 130
"""Exit status after Ctrl-C (128 + SIGINT, the shell's convention)."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the valid choices, not a usage dump."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


class _DefaultsShown(argparse.HelpFormatter):
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


def _add_train(sub):
    p = sub.add_parser("train", help="train a model and save its history, curves and parameters",
                       formatter_class=_DefaultsShown)
    _add_data_and_model_flags(p)
    _add_training_flags(p)


def _add_data_and_model_flags(p):
    p.add_argument("--dataset", default="digits", choices=datasets.NAMES)
    p.add_argument("--data-dir", default=None, help="folder of the IDX files for --dataset mnist")
    p.add_argument("--stratify", action="store_true", help="stratified train/val/test split")
    p.add_argument("--scaling", default=None, choices=["standardize", "min_max", "none"],
                   help="feature scaling fitted on the training split (none: the data as published; "
                        "default: standardize for --model mlp, min_max for the convolutional models)")
    p.add_argument("--val-fraction", type=float, default=0.2,
                   help="part of the training data held out for validation (0: none)")
    p.add_argument("--model", default="mlp", choices=runconfig.MODELS,
                   help="cnn: the convolutional network of fnn.models.cnn.PRESETS for digits, mnist or mnist1d "
                        "(--hidden then sets its dense head); conv-autoencoder: fnn.models.autoencoder, trained to "
                        "reconstruct its inputs; rnn, gru, lstm: a bidirectional recurrent classifier reading each "
                        "sample as a sequence (--hidden: its stacked layers); rnn-lm: the character language model "
                        "of --dataset pysource (fnn.models.recurrent)")
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
                   help=f"lambda of the regularizer (default {runconfig.DEFAULT_STRENGTH:g}; needs --regularizer)")
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
    p.add_argument("--batch-size", type=int, default=None,
                   help="minibatch size (default 64; the whole training set for rprop, a full-batch method)")
    p.add_argument("--epochs", type=int, default=30, help="passes over the training set")
    p.add_argument("--steps", type=int, default=None, help="train for this many optimizer steps instead of --epochs")
    p.add_argument("--no-shuffle", action="store_false", dest="shuffle",
                   help="minibatches in the data's order, the same every epoch")
    p.add_argument("--seed", type=int, default=0, help="draws the split, the initial parameters, the minibatches")
    p.add_argument("--gradients", default="auto", choices=["auto", "manual"],
                   help="jax.value_and_grad or the lectures' hand-derived backprop")
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    p.add_argument("--devices", type=int, default=None, metavar="N",
                   help="data parallelism: split every minibatch over N devices (default: one)")
    p.add_argument("--out", default=None, help=f"output folder (default: the first of {DEFAULT_OUT}/<dataset>, "
                   f"{DEFAULT_OUT}/<dataset>-2, ... that holds no run; the --resume folder when resuming)")
    p.add_argument("--overwrite", action="store_true", help="write over the run already in --out")
    p.add_argument("--checkpoint-every", type=int, default=1, metavar="K",
                   help="write out/last.npz every K epochs (and out/best.npz at the best validation loss)")
    p.add_argument("--resume", default=None, metavar="DIR",
                   help="continue the run stored in DIR with its configuration (--epochs or --steps may grow)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")


INVOCATION = ("command", "out", "resume", "no_progress", "overwrite")
"""Flags about this invocation, not about the run."""


def _config_values(values: dict) -> dict:
    """RunConfig fields from parsed flag values (optimizer flags hp_NAME go to ``hyper``)."""
    fields = {k: v for k, v in values.items() if k not in INVOCATION and not k.startswith("hp_")}
    hyper = {k[3:]: v for k, v in values.items() if k.startswith("hp_") and v is not None}
    if hyper:
        fields["hyper"] = hyper
    if "regularizer" in fields and fields["regularizer"] == "none":
        fields["regularizer"] = None
    return fields


def _subcommand(p: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    commands = next(a for a in p._actions if isinstance(a, argparse._SubParsersAction))
    return commands.choices[name]


def _explicit(argv) -> dict:
    """Only the flags given on the command line (every default suppressed)."""
    quiet = parser()
    for action in _subcommand(quiet, "train")._actions:
        action.default = argparse.SUPPRESS
    return vars(quiet.parse_args(argv))


def flag(setting: str) -> str:
    """The ``fnn train`` flag of a RunConfig setting: ``checkpoint_every`` -> ``--checkpoint-every``,
    ``hyper.b1`` -> ``--b1``, ``augment.flip`` -> ``--augment flip``."""
    group, _, name = setting.partition(".")
    if group == "hyper":
        return f"--{name.replace('_', '-')}" if name else "optimizer flags"
    flags = {action.dest: action.option_strings[0] for action in _subcommand(parser(), "train")._actions
             if action.option_strings}
    base = flags.get(group, group)
    return f"{base} {name}" if name else base


def _row(record: dict, columns) -> str:
    return " ".join(f"{record.get(key, float('nan')):>{width}.{digits}f}" if key != "epoch"
                    else f"{record[key]:>{width}d}" for key, width, digits in columns)


def _columns(task):
    metric = task.main_metric
    return [("epoch", 5, 0), ("train_loss", 10, 4), (f"train_{metric}", 9, 4), ("val_loss", 9, 4),
            (f"val_{metric}", 9, 4), ("seconds", 8, 3)], {"accuracy": "acc", "perplexity": "ppl"}.get(metric, metric)


def train(args, argv) -> dict:
    """Run ``fnn train``; return the final test metrics."""
    from tqdm.auto import tqdm

    from fnn import checkpoint, outdir, run

    if args.resume and args.out and Path(args.out).resolve() != Path(args.resume).resolve():
        raise ValueError(f"--out {args.out} differs from --resume {args.resume}: a resumed run continues in its folder")
    if args.resume:
        config = run.resume_config(args.resume, _config_values(_explicit(argv)))
    else:
        config = runconfig.RunConfig(**_config_values(vars(args)))
    value_and_grad = None
    if config.gradients == "manual":
        from reference.backprop import value_and_grad
    out = Path(args.out or args.resume or outdir.free_folder(f"{DEFAULT_OUT}/{config.dataset}"))
    columns, short = _columns(config.task)
    every = max(1, config.epochs // 25)

    def on_start(parts):
        print(_summary(run.describe(parts), config.shuffle))
        if args.resume:
            last = out / "last.npz"
            length = f"{config.steps} steps" if config.steps else f"{config.epochs} epochs"
            print(f"resuming {last} at epoch {checkpoint.checkpoint_epoch(last)} (the run has {length})")
        print(f"{'epoch':>5} {'train loss':>10} {'train ' + short:>9} {'val loss':>9} {'val ' + short:>9} {'seconds':>8}")

    def on_epoch(record):
        if record["epoch"] % every == 0 or record["epoch"] in (1, config.epochs):
            tqdm.write(_row(record, columns))

    try:
        result = run.run(config, out=out, value_and_grad=value_and_grad, resume=bool(args.resume),
                         overwrite=args.overwrite, progress=not args.no_progress, on_start=on_start, on_epoch=on_epoch)
    except Interrupted as stop:
        resumable = config.averaging is None and config.snapshots is None
        where = (f"at epoch {stop.epoch}; resume with `fnn train --resume {out}`" if stop.epoch and resumable else
                 f"at epoch {stop.epoch}; a run with averaging or snapshots cannot be resumed" if stop.epoch else
                 "before the first epoch ended; nothing was saved")
        print(f"fnn train: interrupted {where}", file=sys.stderr)
        raise
    _print_test(result.test, result.test_report, f"  ({result.epochs_trained} epochs in {result.train_seconds:.1f} s)")
    print("wrote " + ", ".join(str(p) for p in result.files.values()))
    return result.test


def _summary(facts: dict, shuffle: bool) -> str:
    """The start of a run: data, model, optimizer; the whole configuration; the loss; what an epoch leaves out."""
    train_n, val_n, test_n = facts["sizes"]
    left_out = facts["left_out"]
    which = "" if not left_out else " (a new random subset each epoch)" if shuffle else " (the same ones every epoch)"
    return "\n".join([
        f"fnn train: {facts['dataset']} (train {train_n}, val {val_n}, test {test_n}), {facts['model']} "
        f"({facts['parameters']:,} parameters), {facts['optimizer']}, batch {facts['batch_size']}, "
        f"{facts['gradients']} gradients, {facts['dtype']}",
        "  " + ", ".join(f"{name} {value}" for name, value in facts["settings"].items()),
        f"  loss J = {facts['loss']} (every loss below is J)",
        f"  {facts['steps_per_epoch']} steps per epoch; {left_out} of {train_n} training samples left out per "
        f"epoch{which}",
        *(["  receptive fields: " + ", ".join(
            f"{f.layer} {'x'.join(map(str, f.size))} sees {'x'.join(map(str, f.field))} inputs (jump {'x'.join(map(str, f.jump))})"
            for f in facts["receptive_fields"])] if facts["receptive_fields"] else [])])


def _print_test(test: dict, test_report: dict | None, note: str = "") -> None:
    from fnn import report

    if test_report is not None:
        print(report.format_report(test_report))
    main_metric = next(name for name in ("perplexity", "accuracy", "rmse", "mae") if name in test)
    extras = "".join(f"  {k.replace('_', ' ')} {v:.4f}" for k, v in test.items() if k not in ("loss", main_metric))
    print(f"test loss {test['loss']:.4f}  test {main_metric} {test[main_metric]:.4f}{extras}{note}")


def predict(args) -> None:
    """Run ``fnn predict``: print the predictions of a trained run for the rows of INPUT (or write them)."""
    import numpy as np

    from fnn import run, trained

    predictions = np.asarray(run.load(args.run_dir).predict(trained.read_rows(args.input)))
    if args.output is None:
        print(trained.format_rows(predictions), end="")
    else:
        print(f"wrote {len(predictions)} predictions to {trained.write_rows(args.output, predictions)}")


def sample(args) -> None:
    """Run ``fnn sample``: the text a trained language model writes after the prime."""
    from fnn import run

    print(args.prime + run.load(args.run_dir).sample(args.prime, length=args.length, temperature=args.temperature,
                                                     seed=args.seed))


def evaluate(args) -> None:
    """Run ``fnn evaluate``: the test scores of a trained run, recomputed from its saved model."""
    from fnn import run

    _print_test(*run.evaluate(args.run_dir))


def gradcheck(args) -> int:
    """Run ``fnn gradcheck``: print the table; exit status 1 if any row is out of tolerance."""
    import jax

    jax.config.update("jax_enable_x64", True)
    from reference import audit

    rows = audit.audit(jax.random.key(args.seed))
    print(audit.format_table(rows))
    failed = [r.name for r in rows if not r.ok]
    print(f"{len(rows) - len(failed)} of {len(rows)} hand-derived gradients agree"
          + (f"; out of tolerance: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="fnn", description="Multilayer perceptrons from the lectures, in JAX.")
    p.add_argument("--version", action="version", version=f"fnn {fnn.__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_train(sub)
    g = sub.add_parser("gradcheck", help="hand-derived gradients vs autodiff and finite differences")
    g.add_argument("--seed", type=int, default=0)
    use = sub.add_parser("predict", help="labels (or regression values) of a trained run for new rows")
    use.add_argument("run_dir", metavar="RUN_DIR", help="the folder of a finished fnn train run")
    use.add_argument("input", metavar="INPUT", help="rows in the data set's units: a .npy array or a CSV file (no header)")
    use.add_argument("--output", default=None, help="write the predictions to this .csv or .npy file (default: print)")
    check = sub.add_parser("evaluate", help="the test scores of a trained run, recomputed from its saved model")
    check.add_argument("run_dir", metavar="RUN_DIR", help="the folder of a finished fnn train run")
    write = sub.add_parser("sample", help="text from a trained character language model (--model rnn-lm)")
    write.add_argument("run_dir", metavar="RUN_DIR", help="the folder of a finished fnn train --model rnn-lm run")
    write.add_argument("--prime", default="def ", help="the text to continue (at least one character of the corpus)")
    write.add_argument("--length", type=int, default=300, help="characters to draw")
    write.add_argument("--temperature", type=float, default=1.0,
                       help="divides the logits: below 1 sharper and more repetitive, above 1 more random")
    write.add_argument("--seed", type=int, default=0)
    experiment_cli.add_parser(sub)
    return p


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser().parse_args(argv)
    try:
        if args.command == "gradcheck":
            return gradcheck(args)
        {"train": lambda: train(args, argv), "predict": lambda: predict(args), "evaluate": lambda: evaluate(args),
         "sample": lambda: sample(args), "experiment": lambda: experiment_cli.main(args)}[args.command]()
        return 0
    except KeyboardInterrupt:
        return INTERRUPTED
    except runconfig.SettingError as error:
        print(f"fnn {args.command}: error: {flag(error.setting)}: {error.reason}", file=sys.stderr)
        return 2
    except (ValueError, TypeError, OSError) as error:
        print(f"fnn {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
