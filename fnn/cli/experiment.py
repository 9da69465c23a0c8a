"""``fnn experiment NAME``: run a lecture experiment and print its headline numbers."""

from __future__ import annotations

import argparse

from fnn.experiments import registry
from fnn.run import outdir

DEFAULT_OUT = "runs/experiments"


def _setting(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected FIELD=VALUE like epochs=10, got {text!r}")
    return name.strip(), value.strip()


def add_parser(sub) -> None:
    """Add the ``experiment`` sub-command to the ``fnn`` parser's sub-commands."""
    p = sub.add_parser("experiment", help="run a lecture experiment (pictures and results.json); no NAME: list them",
                       description="Lecture experiments:\n" + registry.listing(),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name", nargs="?", default=None, metavar="NAME", help=", ".join(registry.EXPERIMENTS))
    p.add_argument("--list", action="store_true", help="list the experiments, one line each")
    p.add_argument("--size", default="full", choices=registry.SIZES,
                   help="small: a quick look in seconds; full: the numbers of the docs' experiments page (default: full)")
    p.add_argument("--seed", type=int, default=None, help="the data split and the initial weights (default: 0)")
    p.add_argument("--set", type=_setting, action="append", default=[], dest="settings", metavar="FIELD=VALUE",
                   help="change one field of the experiment's configuration (repeatable), e.g. --set epochs=10")
    p.add_argument("--out", default=None,
                   help=f"output folder (default: {DEFAULT_OUT}/NAME, NAME-small at --size small)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def main(args) -> None:
    """List the experiments, or run one and print its summary and the files it wrote."""
    if args.list or args.name is None:
        print(registry.listing())
        return
    config = registry.config(args.name, size=args.size, seed=args.seed, settings=dict(args.settings))
    out = outdir.writable_folder(args.out or f"{DEFAULT_OUT}/{args.name}{'-small' if args.size == 'small' else ''}",
                                 "--out")
    numbers = registry.get(args.name).run(config, out, progress=not args.no_progress)
    for what, value in numbers["summary"].items():
        print(f"{what}: {_format(value)}")
    print("wrote " + ", ".join(numbers["files"]))


def _format(value) -> str:
    """A summary value with 4 significant digits, lists and dicts opened; None (a diverged run) as null."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(map(_format, value)) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {_format(item)}" for key, item in value.items()) + "}"
    return "null" if value is None else str(value)
