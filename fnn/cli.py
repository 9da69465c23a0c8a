"""The ``fnn`` command: ``fnn train``, ``predict``, ``evaluate``, ``sample``, ``gradcheck``, ``experiment`` and ``search``.

This is the application layer, the one module of ``fnn`` allowed to import ``reference``
(for ``--gradients manual`` and the gradient table); the library never does. It parses
flags into an ``fnn.runconfig.RunConfig``, calls ``fnn.run.run`` and prints.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import fnn
from fnn import interrupts

# Everything else is imported inside the functions, after ``main`` has installed the handlers of
# ``fnn.interrupts``: importing JAX takes seconds, and a Ctrl-C then must stop cleanly too.


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the valid choices, not a usage dump."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _subcommand(p: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    commands = next(a for a in p._actions if isinstance(a, argparse._SubParsersAction))
    return commands.choices[name]


def _explicit(argv) -> dict:
    """Only the flags given on the command line (every default suppressed)."""
    quiet = parser()
    for action in _subcommand(quiet, "train")._actions:
        action.default = argparse.SUPPRESS
    return vars(quiet.parse_args(argv))


def flag(setting: str, command: str = "train") -> str:
    """The flag of ``command`` that sets a setting: ``checkpoint_every`` -> ``--checkpoint-every``,
    ``hyper.b1`` -> ``--b1``, ``augment.flip`` -> ``--augment flip``; a flag that turns a setting
    off names it too: ``shuffle`` -> ``--no-shuffle (shuffle)``."""
    group, _, name = setting.partition(".")
    if group == "hyper":
        return f"--{name.replace('_', '-')}" if name else "optimizer flags"
    flags = {action.dest: action.option_strings[0] + (f" ({action.dest})" if action.const is False else "")
             for action in _subcommand(parser(), command)._actions if action.option_strings}
    base = flags.get(group, group)
    return f"{base} {name}" if name else base


def _check_numbers(args) -> None:
    """Every number given to a flag of any subcommand, in its range of ``fnn.ranges.RANGES`` (the
    same check ``RunConfig`` makes of its settings), before anything else runs."""
    from fnn import ranges
    from fnn.settings import SettingError

    for name, value in vars(args).items():
        if name in ranges.RANGES and value is not None and not isinstance(value, (tuple, str)):
            try:
                ranges.check("fnn", name, value)
            except (ValueError, TypeError) as error:
                raise SettingError(name, str(error).removeprefix("fnn: ")) from None


def _row(record: dict, columns) -> str:
    """The record's cells; "-" for a value it does not have (no validation set, no training-set scores)."""
    return " ".join(f"{record[key]:>{width}d}" if key == "epoch" else f"{record[key]:>{width}.{digits}f}"
                    if key in record else f"{'-':>{width}}" for key, width, digits in columns)


def _columns(task):
    metric = task.main_metric
    return [("epoch", 5, 0), ("train_loss", 10, 4), (f"train_{metric}", 9, 4), ("val_loss", 9, 4),
            (f"val_{metric}", 9, 4), ("seconds", 8, 3)], {"accuracy": "acc", "perplexity": "ppl"}.get(metric, metric)


def _train_config(args, argv):
    """The configuration of ``fnn train``: the flags', or the stored run's with the flags' changes."""
    from fnn import run, runconfig, trainflags
    from fnn.settings import SettingError

    explicit = _explicit(argv)
    if args.resume and args.overwrite:
        raise ValueError("--overwrite starts a new run in its folder and --resume continues the stored one: "
                         f"expected one of them, got both (--resume {args.resume})")
    if args.resume and args.out and Path(args.out).resolve() != Path(args.resume).resolve():
        raise ValueError(f"--out {args.out} differs from --resume {args.resume}: a resumed run continues in its folder")
    if {"steps", "epochs"} <= set(explicit):
        raise SettingError("steps", f"steps and epochs each set the length of the run: expected one of them, got "
                                    f"--steps {args.steps} and --epochs {args.epochs}")
    if args.resume:
        return run.resume_config(args.resume, trainflags.config_values(explicit))
    return runconfig.RunConfig(**trainflags.config_values(vars(args)))


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


def train(args, argv) -> int:
    """Run ``fnn train``; return its exit status (after Ctrl-C or SIGTERM, 128 + the signal's number)."""
    from tqdm.auto import tqdm

    from fnn import checkpoint, outdir, run
    from fnn.trainflags import DEFAULT_OUT

    config = _train_config(args, argv)
    if args.out:
        outdir.writable_folder(args.out, "--out")
    value_and_grad = None
    if config.gradients == "manual":
        from reference.backprop import value_and_grad
    out = Path(args.out or args.resume or outdir.free_folder(f"{DEFAULT_OUT}/{config.dataset}"))
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
                         overwrite=args.overwrite, progress=not args.no_progress, on_start=on_start, on_epoch=on_epoch)
    except KeyboardInterrupt as stop:
        interrupts.surfaced()
        print(f"fnn train: {interrupts.describe()} {_stopped(stop, config, out, bool(args.resume))}", file=sys.stderr)
        return interrupts.exit_status()
    _print_test(result.test, result.test_report, f"  ({result.epochs_trained} epochs in {result.train_seconds:.1f} s)")
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

    if args.output is not None:
        trained.check_output(args.output, "--output")
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


def search(args) -> None:
    """Run ``fnn search``, with the hand-derived gradients of ``reference`` for ``--gradients manual``."""
    value_and_grad = None
    if args.gradients == "manual":
        from reference.backprop import value_and_grad
    from fnn.search import cli as search_cli

    search_cli.main(args, value_and_grad=value_and_grad)


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
    from fnn import trainflags
    from fnn.experiments import cli as experiment_cli
    from fnn.search import cli as search_cli

    p = _Parser(prog="fnn", description="Multilayer perceptrons from the lectures, in JAX.")
    p.add_argument("--version", action="version", version=f"fnn {fnn.__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    trainflags.add_train(sub)
    g = sub.add_parser("gradcheck", help="hand-derived gradients vs autodiff and finite differences")
    g.add_argument("--seed", type=int, default=0)
    use = sub.add_parser("predict", help="labels (or regression values) of a trained run for new rows")
    use.add_argument("run_dir", metavar="RUN_DIR", help="the folder of a finished fnn train run")
    use.add_argument("input", metavar="INPUT", help="rows in the data set's units: a .npy array or a CSV file (no header)")
    use.add_argument("--output", default=None, help="write the predictions to this .csv, .npy or .npz file (default: print)")
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
    search_cli.add_parser(sub)
    return p


def _command(args, argv) -> int:
    """Run the parsed command; its exit status."""
    _check_numbers(args)
    if args.command == "train":
        return train(args, argv)
    if args.command == "gradcheck":
        return gradcheck(args)
    from fnn.experiments import cli as experiment_cli

    {"predict": predict, "evaluate": evaluate, "sample": sample, "experiment": experiment_cli.main,
     "search": search}[args.command](args)
    interrupts.check()  # a Ctrl-C a callback swallowed is no success
    return 0


def main(argv=None) -> int:
    """The ``fnn`` command; its exit status: 0, 1 (a failed gradient check), 2 (a usage or input error,
    one line naming the flag or file), 130 after Ctrl-C and 143 after SIGTERM (with one line saying so)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    command = "fnn" + (f" {argv[0]}" if argv and not argv[0].startswith("-") else "")
    try:
        with interrupts.handled():
            with interrupts.held():  # the imports of JAX and its C extensions are not cut in the middle
                commands = parser()
            args = commands.parse_args(argv)
            command = f"fnn {args.command}"
            return _command(args, argv)
    except KeyboardInterrupt:
        interrupts.surfaced()
        print(f"{command}: {interrupts.describe()}", file=sys.stderr)
        return interrupts.exit_status()
    except (ValueError, TypeError, OSError) as error:
        setting = getattr(error, "setting", None)  # a SettingError names the setting its flag sets
        print(f"{command}: error: {f'{flag(setting, args.command)}: {error.reason}' if setting else error}",
              file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
