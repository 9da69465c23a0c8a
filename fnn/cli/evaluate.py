"""``fnn evaluate``: the test scores of a trained run, recomputed from its saved model."""

from __future__ import annotations

import argparse

from fnn.cli.report import print_test


def add_parser(sub) -> argparse.ArgumentParser:
    """Add ``fnn evaluate`` to the ``fnn`` parser's sub-commands."""
    p = sub.add_parser("evaluate", help="the test scores of a trained run, recomputed from its saved model")
    p.add_argument("run_dir", metavar="RUN_DIR", help="the folder of a finished fnn train run")
    return p


def main(args) -> None:
    """Run ``fnn evaluate``: the test scores of a trained run, recomputed from its saved model."""
    from fnn import run

    print_test(*run.evaluate(args.run_dir))
