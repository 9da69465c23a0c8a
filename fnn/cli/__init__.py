"""The ``fnn`` command: ``fnn train``, ``predict``, ``evaluate``, ``sample``, ``export``, ``gradcheck``, ``experiment``
and ``search``.

This package is the application layer: one module per subcommand (``add_parser``, ``main``),
``train_flags`` (the flags of a run), ``report`` (printing test scores). It is the only place
with argparse and the only importer of ``reference`` (for ``--gradients manual`` and the
gradient table); the library never imports it. Flags become an ``fnn.run.RunConfig``, and
``fnn.run.run`` trains it.
"""

from __future__ import annotations

import argparse
import sys

import fnn
from fnn.cli import flags
from fnn.util import compile_cache, interrupts

# Everything else is imported inside the functions, after ``main`` has installed the handlers of
# ``fnn.util.interrupts``: importing JAX takes seconds, and a Ctrl-C then must stop cleanly too.


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the valid choices, not a usage dump."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _explicit(argv, command: str) -> dict:
    """Only the flags given on the command line of ``fnn train`` or ``fnn search`` (every default left out)."""
    quiet = parser()
    flags.suppress_defaults(command)
    return vars(quiet.parse_args(argv))


def flag(setting: str, command: str = "train") -> str:
    """The flag of ``command`` that sets a setting (``fnn.cli.flags``): ``checkpoint_every`` ->
    ``--checkpoint-every``, ``hyper.b1`` -> ``--b1``, ``augment.flip`` -> ``--augment flip``, a
    switch that turns a setting off names it too: ``shuffle`` -> ``--no-shuffle (shuffle)``."""
    group, _, name = setting.partition(".")
    if group == "hyper":
        return f"--{name.replace('_', '-')}" if name else "optimizer flags"
    if command not in flags.DECLARED:
        parser()
    base = flags.flag(group, command)
    return f"{base} {name}" if name else base


def _check_numbers(args) -> None:
    """Every number given to a flag of any subcommand, in its range of ``fnn.util.ranges.RANGES`` (the
    same check ``RunConfig`` makes of its settings), before anything else runs."""
    from fnn.run.settings import SettingError
    from fnn.util import ranges

    for name, value in vars(args).items():
        if name in ranges.RANGES and value is not None and not isinstance(value, (tuple, str)):
            try:
                ranges.check("fnn", name, value)
            except (ValueError, TypeError) as error:
                raise SettingError(name, str(error).removeprefix("fnn: ")) from None


COMMANDS = ("train", "predict", "evaluate", "sample", "export", "gradcheck", "experiment", "search")
"""The subcommands, each a module of this package with ``add_parser(sub)`` and ``main(args)``."""


def _module(command: str):
    import importlib

    return importlib.import_module(f"fnn.cli.{command}")


def parser() -> argparse.ArgumentParser:
    """The ``fnn`` command's parser: one subparser per module of ``COMMANDS``."""
    p = _Parser(prog="fnn", description="Multilayer perceptrons from the lectures, in JAX.")
    p.add_argument("--version", action="version", version=f"fnn {fnn.__version__}")
    sub = flags.Subcommands(p.add_subparsers(dest="command", required=True, parser_class=_Parser))
    for command in COMMANDS:
        _module(command).add_parser(sub)
    return p


def _command(args, argv) -> int:
    """Run the parsed command; its exit status."""
    _check_numbers(args)
    module = _module(args.command)
    explicit = args.command in ("train", "search")  # their flags of a run: which were given
    status = module.main(args, _explicit(argv, args.command)) if explicit else module.main(args)
    if not status:
        interrupts.check()  # a Ctrl-C a callback swallowed is no success
    return status or 0


def main(argv=None) -> int:
    """The ``fnn`` command; its exit status: 0, 1 (a failed gradient check), 2 (a usage or input error,
    one line naming the flag or file), 130 after Ctrl-C and 143 after SIGTERM (with one line saying so)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if "--deterministic" in argv:  # before JAX computes anything: XLA reads its flags once
        from fnn.util import xla_flags

        xla_flags.with_flag(xla_flags.DETERMINISTIC)
    command = "fnn" + (f" {argv[0]}" if argv and not argv[0].startswith("-") else "")
    try:
        with interrupts.handled():
            with interrupts.held():  # the imports of JAX and its C extensions are not cut in the middle
                commands = parser()
                compile_cache.enable()  # a second run of the same model compiles nothing
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

