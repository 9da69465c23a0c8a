"""``fnn train``: train a model and save its history, curves, parameters and pictures.

Its flags are ``fnn.cli.train_flags``; this module turns them into a ``RunConfig`` (or the stored
run's, for ``--resume``), runs ``fnn.run.run`` with a table row per epoch, and says where a run
stopped by Ctrl-C or SIGTERM can be resumed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from fnn.cli import train_flags
from fnn.cli.report import print_test
from fnn.util import interrupts, xla_flags


def add_parser(sub) -> argparse.ArgumentParser:
    """Add ``fnn train`` and its flags to the ``fnn`` parser's sub-commands."""
    return train_flags.add_train(sub)


def _row(record: dict, columns) -> str:
    """The record's cells; "-" for a value it does not have (no validation set, no training-set scores)."""
    return " ".join(f"{record[key]:>{width}d}" if key == "epoch" else f"{record[key]:>{width}.{digits}f}"
                    if key in record else f"{'-':>{width}}" for key, width, digits in columns)


def _columns(task):
    metric = task.main_metric
    return [("epoch", 5, 0), ("train_loss", 10, 4), (f"train_{metric}", 9, 4), ("val_loss", 9, 4),
            (f"val_{metric}", 9, 4), ("seconds", 8, 3)], {"accuracy": "acc", "perplexity": "ppl"}.get(metric, metric)


def _train_config(args, explicit: dict):
    """The configuration of ``fnn train``: the flags', or the stored run's with the flags' changes."""
    from fnn import run
    from fnn.run import configuration
    from fnn.run.settings import SettingError

    if args.resume and args.overwrite:
        raise ValueError("--overwrite starts a new run in its folder and --resume continues the stored one: "
                         f"expected one of them, got both (--resume {args.resume})")
    if args.resume and args.out and Path(args.out).resolve() != Path(args.resume).resolve():
        raise ValueError(f"--out {args.out} differs from --resume {args.resume}: a resumed run continues in its folder")
    if {"steps", "epochs"} <= set(explicit):
        raise SettingError("steps", f"steps and epochs each set the length of the run: expected one of them, got "
                                    f"--steps {args.steps} and --epochs {args.epochs}")
    if args.resume and args.config:
        raise ValueError(f"--config starts a run from a file and --resume continues the stored one: expected one "
                         f"of them, got both (--config {args.config})")
    if args.resume:
        return run.resume_config(args.resume, train_flags.config_values(explicit))
    given = train_flags.config_values(explicit)
    if args.config:
        from fnn.run import config_file

        from_file = config_file.read(args.config)
        merged = config_file.merged(from_file, given)
        return configuration.RunConfig(**train_flags.with_file_dataset(merged, from_file | given))
    return configuration.RunConfig(**train_flags.with_file_dataset(train_flags.config_values(vars(args)), given))


def _stopped(stop: KeyboardInterrupt, config, out: Path, resumed: bool) -> str:
    """Where a run stopped by Ctrl-C or SIGTERM ended, and how to go on: ``Interrupted`` names its last
    complete epoch; a bare KeyboardInterrupt came before training, which leaves a resumed run's
    ``last.npz`` as it was."""
    from fnn import checkpoint

    epoch = getattr(stop, "epoch", None)
    if epoch is None and resumed:
        epoch = checkpoint.checkpoint_epoch(out / "last.npz")
    if not epoch:
        return "before the first epoch ended; nothing was saved"
    if config.averaging is not None or config.snapshots is not None:
        return f"at epoch {epoch}; a run with averaging or snapshots cannot be resumed"
    return f"at epoch {epoch}; resume with `fnn train --resume {out}`"


def main(args, explicit: dict) -> int:
    """Run ``fnn train`` (``explicit``: the flags given on the command line); return its exit status
    (after Ctrl-C or SIGTERM, 128 + the signal's number)."""
    from tqdm.auto import tqdm

    from fnn import checkpoint, run
    from fnn.run import outdir

    config = _train_config(args, explicit)
    if config.deterministic:  # from --config or --resume too; JAX has computed nothing yet
        xla_flags.with_flag_if_not_started(xla_flags.DETERMINISTIC)
    if args.print_config:
        print(json.dumps(config.to_dict(), indent=2))
        return 0
    if args.out:
        outdir.writable_folder(args.out, "--out")
    value_and_grad = None
    if config.gradients == "manual":
        from reference.backprop import value_and_grad
    out = Path(args.out or args.resume or outdir.free_folder(f"{train_flags.DEFAULT_OUT}/{config.dataset}"))
    columns, short = _columns(config.task)
    every = max(1, config.epochs // 25)

    def on_start(parts):
        interrupts.check()
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
                         overwrite=args.overwrite, progress=not args.no_progress,
                         plots=not args.no_plots, on_start=on_start, on_epoch=on_epoch)
    except KeyboardInterrupt as stop:
        interrupts.surfaced()
        print(f"fnn train: {interrupts.describe()} {_stopped(stop, config, out, bool(args.resume))}", file=sys.stderr)
        return interrupts.exit_status()
    print_test(result.test, result.test_report, f"  ({result.epochs_trained} epochs in {result.train_seconds:.1f} s)")
    print("wrote " + ", ".join(str(p) for p in result.files.values()))
    return 0


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
        *([f"  warning: these feature columns hold one value in every training row and tell the model nothing: "
           f"{', '.join(facts['constant_columns'])}"] if facts["constant_columns"] else []),
        *(["  receptive fields: " + ", ".join(
            f"{f.layer} {'x'.join(map(str, f.size))} sees {'x'.join(map(str, f.field))} inputs (jump {'x'.join(map(str, f.jump))})"
            for f in facts["receptive_fields"])] if facts["receptive_fields"] else [])])
