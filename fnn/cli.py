"""The ``fnn`` command: ``fnn train`` and ``fnn gradcheck``.

This is the application layer, the one module of ``fnn`` allowed to import ``reference``
(for ``--gradients manual`` and the gradient table); the library never does.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

from fnn import activations, files, initializers, losses, optim, regularizers
from fnn.data import datasets

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


def _add_train(sub):
    p = sub.add_parser("train", help="train an MLP and save its history, curves and parameters")
    p.add_argument("--dataset", default="digits", choices=datasets.NAMES)
    p.add_argument("--hidden", type=_int_tuple, default=(128, 128), help="hidden widths, e.g. 128,128 (empty: none)")
    p.add_argument("--activation", default="relu", choices=sorted(activations.ELEMENTWISE))
    p.add_argument("--initializer", default="he_normal", choices=sorted(initializers.BY_NAME))
    p.add_argument("--loss", default="softmax_cross_entropy", choices=losses.CLASSIFICATION)
    p.add_argument("--regularizer", default="none", choices=["none", *regularizers.BY_NAME])
    p.add_argument("--strength", type=float, default=1e-4, help="lambda of the regularizer")
    p.add_argument("--optimizer", default="adam", choices=sorted(optim.BY_NAME))
    p.add_argument("--lr", type=float, default=1e-3, help="learning rate")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--gradients", default="auto", choices=["auto", "manual"],
                   help="jax.value_and_grad or the lectures' hand-derived backprop")
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    p.add_argument("--out", default=None, help=f"output folder (default {DEFAULT_OUT}/<dataset>)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _row(record: dict, columns) -> str:
    return " ".join(f"{record.get(key, float('nan')):>{width}.{digits}f}" if key != "epoch"
                    else f"{record[key]:>{width}d}" for key, width, digits in columns)


def train(args) -> dict:
    """Run ``fnn train``; return the final metrics."""
    import jax

    if args.dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    from tqdm.auto import tqdm

    from fnn import checkpoint, history, train as fnn_train
    from fnn.data.prepare import prepare
    from fnn.models import mlp
    from fnn.objective import Objective

    key = jax.random.key(args.seed)
    data_key, init_key, fit_key = jax.random.split(key, 3)
    data = prepare(args.dataset, key=data_key)
    dtype = jnp.dtype(args.dtype)
    train_set, val_set, test_set = ((X.astype(dtype), y) for X, y in (data.train, data.val, data.test))
    config = mlp.MLPConfig((train_set[0].shape[1], *args.hidden, data.num_classes),
                           activation=args.activation, initializer=args.initializer)
    regularizer = None if args.regularizer == "none" else args.regularizer
    objective = Objective(config, loss=args.loss, regularizer=regularizer,
                          strength=args.strength if regularizer else 0.0)
    optimizer = optim.get(args.optimizer)(learning_rate=args.lr)
    if args.gradients == "manual":
        from reference.models.mlp import value_and_grad
    else:
        value_and_grad = jax.value_and_grad

    out = Path(args.out or f"{DEFAULT_OUT}/{args.dataset}")
    print(f"fnn train: {args.dataset} (train {len(train_set[1])}, val {len(val_set[1])}, test "
          f"{len(test_set[1])}), MLP {'-'.join(map(str, config.sizes))} {args.activation}, "
          f"{args.optimizer} lr={args.lr:g}, batch {args.batch_size}, {args.gradients} gradients, {args.dtype}")
    columns = [("epoch", 5, 0), ("train_loss", 10, 4), ("train_accuracy", 9, 4),
               ("val_loss", 9, 4), ("val_accuracy", 9, 4), ("seconds", 8, 3)]
    print(f"{'epoch':>5} {'train loss':>10} {'train acc':>9} {'val loss':>9} {'val acc':>9} {'seconds':>8}")
    every = max(1, args.epochs // 25)

    def on_epoch(record):
        if record["epoch"] % every == 0 or record["epoch"] in (1, args.epochs):
            tqdm.write(_row(record, columns))

    params = mlp.init(init_key, config, dtype=dtype)
    start = time.perf_counter()
    state, records, *_ = fnn_train.fit(
        objective, optimizer, params, train_set, val=val_set, epochs=args.epochs,
        batch_size=args.batch_size, key=fit_key, value_and_grad=value_and_grad,
        progress=not args.no_progress, on_epoch=on_epoch)
    seconds = time.perf_counter() - start
    test = {k: float(v) for k, v in fnn_train.make_eval_step(objective)(state.params, test_set).items()}

    saved = history.save(records, out)
    saved["plot"] = history.plot(records, out / "curves.png",
                                 title=f"fnn train --dataset {args.dataset} ({args.gradients} gradients)")
    saved["params"] = checkpoint.save_params(out / "params.npz", state.params)
    run = {"args": {k: v for k, v in vars(args).items() if k != "command"},
           "model": dataclasses.asdict(config), "test": test, "train_seconds": seconds}
    saved["run"] = files.atomic_write_text(out / "run.json", json.dumps(run, indent=1))
    print(f"test loss {test['loss']:.4f}  test accuracy {test['accuracy']:.4f}  "
          f"({args.epochs} epochs in {seconds:.1f} s)")
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
