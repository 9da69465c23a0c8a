"""``fnn search``: a hyperparameter search over the runs ``fnn train`` makes, many trials at once.

The run's flags are ``fnn train``'s (data set, model, optimizer, epochs, batch size, seed, ...);
``--space NAME=KIND:ARGS`` (repeatable) says what varies. It prints the lecture's table, writes
``trials.json``, ``trials.csv`` and ``search.png``, retrains the best configuration on train +
validation, reports its test score and saves it in ``OUT/best`` (a run folder for ``fnn predict``
and ``fnn evaluate``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from fnn.cli import train_flags
from fnn.run import outdir
from fnn.search.rounds import METHODS
from fnn.search.space import Grid, LogUniform, Uniform

DEFAULT_OUT = "runs/search"
SEARCH_FLAGS = ("space", "trials", "method", "points", "rounds", "keep", "folds", "trial_devices")
KINDS = {"grid": "grid:V1,V2,...", "uniform": "uniform:LOW:HIGH", "loguniform": "loguniform:LOW:HIGH",
         "int": "int:LOW:HIGH", "logint": "logint:LOW:HIGH"}
"""The kinds of ``--space`` and their syntax (int, logint: integers drawn uniformly, log-uniformly)."""


def _number(text: str):
    try:
        return int(text)
    except ValueError:
        return float(text)


def parse_dimension(text: str) -> tuple[str, object]:
    """``NAME=KIND:ARGS`` -> (name, dimension): ``lr=loguniform:1e-4:1e-1``, ``hidden=grid:64,128``,
    ``rho=uniform:0.5:0.99``, ``batch_size=logint:16:256``."""
    name, sep, spec = text.partition("=")
    kind, _, args = spec.partition(":")
    if not sep or not name.strip() or kind not in KINDS:
        raise argparse.ArgumentTypeError(f"expected NAME=KIND:ARGS with KIND one of {', '.join(KINDS)} "
                                         f"(e.g. lr=loguniform:1e-4:1e-1), got {text!r}")
    try:
        if kind == "grid":
            return name.strip(), Grid(tuple(_number(v) for v in args.split(",") if v.strip()))
        low, high = (_number(v) for v in args.split(":"))
        dimension = {"uniform": Uniform, "int": Uniform}.get(kind, LogUniform)
        return name.strip(), dimension(low, high, integer=kind in ("int", "logint"))
    except (ValueError, TypeError) as error:
        reason = f": {error}" if isinstance(error, TypeError) or "Uniform" in str(error) or "Grid" in str(error) else ""
        raise argparse.ArgumentTypeError(f"{name.strip()}: expected {KINDS[kind]}, got {spec!r}{reason}") from None


def add_parser(sub) -> argparse.ArgumentParser:
    """Add ``fnn search`` and its flags to the ``fnn`` parser's sub-commands."""
    p = sub.add_parser("search", help="hyperparameter search: grid, random or coarse-to-fine, trials trained at once",
                       formatter_class=train_flags.DefaultsShown, description=__doc__.split("\n\n")[1])
    train_flags.add_run_flags(p)
    s = p.add_argument_group("search")
    s.add_argument("--space", type=parse_dimension, action="append", required=True, metavar="NAME=KIND:ARGS",
                   help="a searched setting (repeatable): lr, seed, weight_decay, clip_norm, the optimizer's numbers "
                        "(rho, b1, ...), dropout (a rate above 0) and strength are trained together; hidden (every "
                        "hidden width), depth, batch_size, batchnorm_momentum, pieces each compile a group. KIND: "
                        + ", ".join(KINDS.values()))
    s.add_argument("--method", default="random", choices=METHODS, help="random draws or the grid of the space")
    s.add_argument("--trials", type=int, default=16, help="trials per round of random search")
    s.add_argument("--points", type=int, default=3, help="values per range of a grid search (ends included)")
    s.add_argument("--rounds", type=int, default=1, help="coarse-to-fine rounds, each narrowed around the best")
    s.add_argument("--keep", type=int, default=None, help="best trials a round narrows around (default: a quarter)")
    s.add_argument("--folds", type=int, default=None, metavar="K",
                   help="score by K-fold cross-validation over train + val instead of the validation split")
    s.add_argument("--trial-devices", type=int, default=None, metavar="N",
                   help="split each group's trials over N devices (default: one); on a CPU, one host device "
                        "per core (XLA_FLAGS=--xla_force_host_platform_device_count=N) trains them faster")
    s.add_argument("--out", default=None,
                   help=f"output folder (default: the first free of {DEFAULT_OUT}/<dataset>, -2, ...)")
    s.add_argument("--overwrite", action="store_true", help="write over the search already in --out")
    s.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    return p


def _out_folder(args, dataset: str) -> Path:
    """``--out``, refused when it holds a search (unless ``--overwrite``), or the first free default;
    created and checked to be writable (``fnn.run.outdir.writable_folder``) before any work."""
    if args.out is not None:
        out = outdir.writable_folder(args.out, "--out")
        if (out / "trials.json").exists() and not args.overwrite:
            raise ValueError(f"--out {out} holds a search (trials.json); pass --overwrite or choose another folder")
        return out
    base, number = Path(DEFAULT_OUT) / dataset, 1
    while (out := base if number == 1 else base.with_name(f"{base.name}-{number}")).joinpath("trials.json").exists():
        number += 1
    return outdir.writable_folder(out, "--out")


def search(args, explicit: dict, *, value_and_grad=None) -> dict:
    """Run ``fnn search``: the search, its table and files, the retrained best and its test score.
    ``explicit``: the flags given on the command line; ``value_and_grad``: the hand-derived gradients
    for ``--gradients manual`` (``fnn.cli`` passes them: the library never imports ``reference``)."""
    import jax

    from fnn import parallel
    from fnn.run import assembly, configuration
    from fnn.run.settings import SettingError
    from fnn.search import rounds, trials

    values = train_flags.config_values({k: v for k, v in vars(args).items() if k not in SEARCH_FLAGS})
    config = configuration.RunConfig(**train_flags.with_file_dataset(values, explicit))
    space = dict(args.space)
    if len(space) < len(args.space):
        raise ValueError(f"--space: each setting once, got {', '.join(name for name, _ in args.space)}")
    out = _out_folder(args, config.dataset)
    try:
        trials.check_space(config, space)
    except SettingError as error:
        searched = error.setting.removeprefix("hyper.")
        if searched in space:
            raise ValueError(f"--space {searched}: {error.reason}") from None
        raise
    if args.trial_devices is not None:
        try:
            parallel.batch_mesh(args.trial_devices)
        except ValueError as error:
            raise ValueError(f"--trial-devices: {error}") from None
    data = assembly.load_data(config)
    sizes = ", ".join(f"{name} {len(part[1])}" for name, part in zip(("train", "val", "test"), data[:3]))
    print(f"fnn search: {config.dataset} ({sizes}), "
          f"{args.method} search over {', '.join(space)}"
          + (f", {args.rounds} rounds" if args.rounds > 1 else "") + (f", {args.folds}-fold" if args.folds else ""))
    done = rounds.search(config, space, key=jax.random.fold_in(jax.random.key(config.seed), 2), data=data,
                         method=args.method, trials=args.trials, points=args.points, rounds=args.rounds,
                         keep=args.keep, folds=args.folds, value_and_grad=value_and_grad,
                         progress=not args.no_progress, devices=args.trial_devices)
    return _report(args, config, data, done, out, value_and_grad)


def _report(args, config, data, done, out: Path, value_and_grad) -> dict:
    from fnn.plots import search as search_plot
    from fnn.search import report, rounds

    metric = config.task.main_metric
    out.mkdir(parents=True, exist_ok=True)
    for number, finished in enumerate(done, start=1):
        if len(done) > 1:
            print(f"round {number}: " + ", ".join(f"{n} {_range(d)}" for n, d in finished.space.items()))
        print(report.format_table(finished.results, metric, folds=args.folds))
    saved = report.save(done, out)
    best = rounds.best(done)
    saved["plot"] = search_plot.plot(done, out / "search.png", metric=metric, best=best, axes=report.axes(done[0].space),
                                     title=f"fnn search --dataset {config.dataset}: validation {metric}")
    shown = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in best.settings.items())
    print(f"best: {shown} (val {metric} {best.score:.4f}); retraining on train + val "
          f"({len(data.train[1]) + len(data.val[1])} samples, {config.epochs} epochs)")
    retrained = rounds.retrain(best.config, data, value_and_grad=value_and_grad, progress=not args.no_progress)
    saved |= rounds.save_best(out / "best", retrained)
    test = retrained.test
    print(f"test loss {test['loss']:.4f}  test {metric} {test[metric]:.4f}")
    print("wrote " + ", ".join(str(p) for p in saved.values()))
    return {"best": best.settings, "val": best.score, "test": test}


def _range(dimension) -> str:
    if isinstance(dimension, Grid):
        return "{" + ", ".join(map(str, dimension.values)) + "}"
    return f"[{dimension.low:.3g}, {dimension.high:.3g}]"


def main(args, explicit: dict) -> None:
    """Run ``fnn search``, with the hand-derived gradients of ``reference`` for ``--gradients manual``."""
    value_and_grad = None
    if args.gradients == "manual":
        from reference.backprop import value_and_grad
    search(args, explicit, value_and_grad=value_and_grad)
