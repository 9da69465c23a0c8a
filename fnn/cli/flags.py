"""The table of flags: every subcommand's flags, recorded as they are declared.

``parser()`` hands each subcommand a ``Flags`` in place of its argparse parser; the
``add_argument`` calls it forwards are written down in ``DECLARED`` (command -> setting ->
its argparse ``Action``). The command reads that table, not argparse's internals, to name
the flag of a setting in an error (``flag``) and to find the flags a user gave (``explicit``).
"""

from __future__ import annotations

import argparse

DECLARED: dict[str, dict[str, argparse.Action]] = {}
"""command -> setting (the flag's ``dest``) -> its action, for the parser built last."""


class Flags:
    """A subcommand's parser (or one of its argument groups) that records every flag it is given."""

    def __init__(self, target, command: str):
        self._target, self._command = target, command

    def add_argument(self, *names, **options) -> argparse.Action:
        action = self._target.add_argument(*names, **options)
        DECLARED[self._command][action.dest] = action
        return action

    def add_argument_group(self, *args, **kwargs) -> Flags:
        return Flags(self._target.add_argument_group(*args, **kwargs), self._command)

    def __getattr__(self, name):
        return getattr(self._target, name)


class Subcommands:
    """``add_subparsers()``'s object, handing out ``Flags`` (and starting each command's table afresh)."""

    def __init__(self, subparsers):
        self._subparsers = subparsers

    def add_parser(self, command: str, **options) -> Flags:
        DECLARED[command] = {}
        return Flags(self._subparsers.add_parser(command, **options), command)


def flag(setting: str, command: str) -> str:
    """The flag of ``command`` that sets ``setting`` (``checkpoint_every`` -> ``--checkpoint-every``);
    a switch that turns a setting off names it too: ``shuffle`` -> ``--no-shuffle (shuffle)``;
    a setting no flag sets is named as it is."""
    action = DECLARED.get(command, {}).get(setting)
    if action is None or not action.option_strings:
        return setting
    return action.option_strings[0] + (f" ({setting})" if action.const is False else "")


def suppress_defaults(command: str) -> None:
    """Make the flags of ``command`` leave out what was not given (argparse then sets only given flags)."""
    for action in DECLARED[command].values():
        action.default = argparse.SUPPRESS
