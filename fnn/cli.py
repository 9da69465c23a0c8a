"""The ``fnn`` command: ``fnn train`` and ``fnn gradcheck``.

This is the application layer, the one module of ``fnn`` allowed to import ``reference``
(for ``--gradients manual`` and the gradient table); the library never does.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import sys
import time
from pathlib import Path

from fnn import activations, files, initializers, losses, optim, regularizers
from fnn.data import datasets
from fnn.models.mlp import BATCHNORM_PLACES
from fnn.optim import control, schedules
from fnn.optim.injectable import hyperparameters

DEFAULT_OUT = "runs"


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the valid choices, not a usage dump."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


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
    """One flag per hyperparameter of any optimizer, typed from its default (--lr for learning_rate)."""
    seen = {}
    for factory in optim.BY_NAME.values():
        for name, default in hyperparameters(factory).items():
            if name != "learning_rate" and default is not inspect.Parameter.empty:
                seen.setdefault(name, default)
    p.add_argument("--lr", type=float, default=None, help="learning rate (default: the optimizer's)")
    for name, default in sorted(seen.items()):
        kind = _boolean if isinstance(default, bool) else type(default)
        p.add_argument(f"--{name.replace('_', '-')}", type=kind, default=None, dest=f"hp_{name}",
                       help=f"optimizer hyperparameter (where it applies; e.g. default {default})")


def _add_train(sub):
    p = sub.add_parser("train", help="train an MLP and save its history, curves and parameters")
    p.add_argument("--dataset", default="digits", choices=datasets.NAMES)
    p.add_argument("--data-dir", default=None, help="folder of the IDX files for --dataset mnist")
    p.add_argument("--stratify", action="store_true", help="stratified train/val/test split")
    p.add_argument("--hidden", type=_int_tuple, default=(128, 128), help="hidden widths, e.g. 128,128 (empty: none)")
    p.add_argument("--activation", default="relu", choices=sorted(activations.ELEMENTWISE))
    p.add_argument("--initializer", default="he_normal", choices=sorted(initializers.BY_NAME))
    p.add_argument("--batchnorm", default=None, choices=BATCHNORM_PLACES, help="batch norm before or after g")
    p.add_argument("--batchnorm-momentum", type=float, default=0.9, help="weight of the old running statistics")
    p.add_argument("--dropout", type=float, default=0.0, help="rate of zeroing each hidden unit")
    p.add_argument("--dropout-form", default="inverted", choices=["inverted", "lecture"])
    p.add_argument("--loss", default="softmax_cross_entropy", choices=losses.CLASSIFICATION)
    p.add_argument("--regularizer", default="none", choices=["none", *regularizers.BY_NAME])
    p.add_argument("--strength", type=float, default=1e-4, help="lambda of the regularizer")
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
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--gradients", default="auto", choices=["auto", "manual"],
                   help="jax.value_and_grad or the lectures' hand-derived backprop")
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    p.add_argument("--out", default=None, help=f"output folder (default {DEFAULT_OUT}/<dataset>, or the --resume folder)")
    p.add_argument("--checkpoint-every", type=int, default=1, metavar="K",
                   help="write out/last.npz every K epochs (and out/best.npz at the best validation loss)")
    p.add_argument("--resume", default=None, metavar="DIR",
                   help="continue the run checkpointed in DIR/last.npz (same flags; --epochs is the total)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _optimizer(args, steps_per_epoch: int):
    """The injectable optimizer of the flags, its schedule's arguments and a one-line description.

    The schedule's ``total_steps`` defaults to the whole run.
    """
    hyper = {k[3:]: v for k, v in vars(args).items() if k.startswith("hp_") and v is not None}
    schedule_args = dict(args.schedule_args)
    if args.schedule is None:
        hyper["learning_rate"] = args.lr if args.lr is not None else hyperparameters(optim.get(args.optimizer))["learning_rate"]
        if schedule_args:
            raise ValueError("--schedule-args needs --schedule")
    else:
        if args.lr is not None:
            raise ValueError("--lr and --schedule exclude each other; give the schedule's rate in --schedule-args")
        if "total_steps" in hyperparameters(schedules.get(args.schedule)):
            schedule_args.setdefault("total_steps", args.epochs * steps_per_epoch)
    optimizer = optim.injectable(args.optimizer, schedule=args.schedule, schedule_args=schedule_args or None,
                                 clip_norm=args.clip_norm, weight_decay=args.weight_decay, **hyper)
    rate = f"schedule {args.schedule}" if args.schedule else f"lr={hyper['learning_rate']:g}"
    return optimizer, schedule_args, f"{args.optimizer} {rate}"


def _controls(args, schedule_args) -> dict:
    controls = {}
    if args.early_stopping is not None:
        controls["early_stopping"] = control.EarlyStopping(patience=args.early_stopping)
    if args.plateau is not None:
        controls["plateau"] = control.ReduceOnPlateau(factor=0.5, patience=args.plateau)
    if args.averaging is not None:
        controls["averaging"] = control.Averaging(args.averaging)
    if args.snapshots is not None:
        cycles = schedule_args.get("cycles")
        if args.schedule != "cosine_restarts" or args.epochs % cycles:
            raise ValueError("--snapshots needs --schedule cosine_restarts with cycles dividing --epochs")
        controls["snapshots"] = control.SnapshotEnsemble(cycle_epochs=args.epochs // cycles, keep=args.snapshots)
    return controls


def _augmentation(args):
    """The ``augment(key, X)`` of --augment (noise std, shift in pixels, flip probability), or None."""
    from fnn.data import augment

    unknown = sorted(set(args.augment) - {"noise", "shift", "flip"})
    if unknown:
        raise ValueError(f"--augment: unknown {', '.join(unknown)}; expected noise, shift, flip")
    parts = []
    if {"shift", "flip"} & set(args.augment):
        if args.dataset not in datasets.IMAGE_SHAPES:
            raise ValueError(f"--augment: shift and flip need image data ({', '.join(datasets.IMAGE_SHAPES)})")
        shape = datasets.IMAGE_SHAPES[args.dataset]
        if "shift" in args.augment:
            parts.append(augment.random_shift(shape, args.augment["shift"]))
        if "flip" in args.augment:
            parts.append(augment.horizontal_flip(shape, args.augment["flip"]))
    if "noise" in args.augment:
        parts.append(augment.gaussian_noise(args.augment["noise"]))
    return augment.compose(*parts) if parts else None


def _row(record: dict, columns) -> str:
    return " ".join(f"{record.get(key, float('nan')):>{width}.{digits}f}" if key != "epoch"
                    else f"{record[key]:>{width}d}" for key, width, digits in columns)


def train(args) -> dict:
    """Run ``fnn train``; return the final test metrics."""
    import jax

    if args.dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import numpy as np
    from tqdm.auto import tqdm

    from fnn import checkpoint, history, metrics, monitor, report
    from fnn import train as fnn_train
    from fnn.data.prepare import prepare
    from fnn.models import mlp
    from fnn.objective import Objective

    key = jax.random.key(args.seed)
    data_key, init_key, fit_key = jax.random.split(key, 3)
    data = prepare(args.dataset, key=data_key, stratify=args.stratify, data_dir=args.data_dir)
    dtype = jnp.dtype(args.dtype)
    train_set, val_set, test_set = ((X.astype(dtype), y) for X, y in (data.train, data.val, data.test))
    config = mlp.MLPConfig((train_set[0].shape[1], *args.hidden, data.num_classes),
                           activation=args.activation, initializer=args.initializer, batchnorm=args.batchnorm,
                           batchnorm_momentum=args.batchnorm_momentum, dropout=args.dropout,
                           dropout_form=args.dropout_form)
    regularizer = None if args.regularizer == "none" else args.regularizer
    objective = Objective(config, loss=args.loss, regularizer=regularizer,
                          strength=args.strength if regularizer else 0.0)
    steps_per_epoch = len(train_set[1]) // args.batch_size
    optimizer, schedule_args, description = _optimizer(args, steps_per_epoch)
    controls = _controls(args, schedule_args)
    if args.gradients == "manual":
        from reference.models.mlp import value_and_grad
    else:
        value_and_grad = fnn_train.autodiff

    out = Path(args.out or args.resume or f"{DEFAULT_OUT}/{args.dataset}")
    print(f"fnn train: {args.dataset} (train {len(train_set[1])}, val {len(val_set[1])}, test "
          f"{len(test_set[1])}), MLP {'-'.join(map(str, config.sizes))} {args.activation}, "
          f"{description}, batch {args.batch_size}, {args.gradients} gradients, {args.dtype}")
    columns = [("epoch", 5, 0), ("train_loss", 10, 4), ("train_accuracy", 9, 4),
               ("val_loss", 9, 4), ("val_accuracy", 9, 4), ("seconds", 8, 3)]
    print(f"{'epoch':>5} {'train loss':>10} {'train acc':>9} {'val loss':>9} {'val acc':>9} {'seconds':>8}")
    every = max(1, args.epochs // 25)

    def on_epoch(record):
        if record["epoch"] % every == 0 or record["epoch"] in (1, args.epochs):
            tqdm.write(_row(record, columns))

    params = mlp.init(init_key, config, dtype=dtype)
    start = time.perf_counter()
    result = fnn_train.fit(
        objective, optimizer, params, train_set, val=val_set, epochs=args.epochs,
        batch_size=args.batch_size, key=fit_key, value_and_grad=value_and_grad,
        augment=_augmentation(args), monitor=args.monitor, checkpoint_dir=out, checkpoint_every=args.checkpoint_every,
        resume=Path(args.resume) / "last.npz" if args.resume else None,
        run_config={k: v for k, v in vars(args).items() if k not in ("command", "out", "resume", "no_progress")},
        progress=not args.no_progress, on_epoch=on_epoch, **controls)
    seconds = time.perf_counter() - start
    evaluate = fnn_train.make_eval_step(objective)
    model_state = result.state.model_state
    test = {k: float(v) for k, v in evaluate(result.state.params, test_set, model_state).items()}
    if result.averaged is not None:
        test["averaged_accuracy"] = float(evaluate(result.averaged, test_set, model_state)["accuracy"])
    if result.snapshots:
        probabilities = control.ensemble_probabilities(
            lambda params, X: objective.logits(params, X, model_state), result.snapshots, test_set[0])
        test["ensemble_accuracy"] = float(metrics.accuracy(test_set[1], jnp.argmax(probabilities, axis=-1)))

    learning_rates = None
    if args.schedule:
        steps = np.arange(len(result.history) * steps_per_epoch)
        curve = jax.vmap(schedules.get(args.schedule)(**schedule_args))(jnp.asarray(steps))
        learning_rates = (steps / steps_per_epoch, np.asarray(curve))
    saved = history.save(result.history, out)
    saved["plot"] = history.plot(result.history, out / "curves.png", learning_rates=learning_rates,
                                 title=f"fnn train --dataset {args.dataset} --optimizer {args.optimizer} ({args.gradients} gradients)")
    if args.monitor:
        saved["layers"] = monitor.plot(result.history, out / "layers.png", title=f"fnn train --dataset {args.dataset}")
    saved["params"] = checkpoint.save_params(out / "params.npz", result.state.params)
    predictions = objective.predict(result.state.params, test_set[0], model_state)
    test_report = report.classification_report(test_set[1], predictions, objective.num_classes)
    saved["confusion"] = report.plot_confusion_matrix(test_set[1], predictions, objective.num_classes,
                                                      out / "confusion.png")
    run = {"args": {k: v for k, v in vars(args).items() if k != "command"}, "model": dataclasses.asdict(config),
           "test": test, "test_report": test_report, "train_seconds": seconds, "epochs_run": len(result.history), "best_epoch": result.best_epoch}
    saved["run"] = files.atomic_write_text(out / "run.json", json.dumps(run, indent=1))
    print(report.format_report(test_report))
    extras = "".join(f"  {k.replace('_', ' ')} {v:.4f}" for k, v in test.items() if k not in ("loss", "accuracy"))
    print(f"test loss {test['loss']:.4f}  test accuracy {test['accuracy']:.4f}{extras}  "
          f"({len(result.history)} epochs in {seconds:.1f} s)")
    print("wrote " + ", ".join(str(p) for p in saved.values()))
    return test


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
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_train(sub)
    g = sub.add_parser("gradcheck", help="hand-derived gradients vs autodiff and finite differences")
    g.add_argument("--seed", type=int, default=0)
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "train":
            train(args)
            return 0
        return gradcheck(args)
    except ValueError as error:
        print(f"fnn {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
