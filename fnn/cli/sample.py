"""``fnn sample``: text from a trained character language model."""

from __future__ import annotations

import argparse


def add_parser(sub) -> argparse.ArgumentParser:
    """Add ``fnn sample`` to the ``fnn`` parser's sub-commands."""
    p = sub.add_parser("sample", help="text from a trained character language model (--model rnn-lm)")
    p.add_argument("run_dir", metavar="RUN_DIR", help="the folder of a finished fnn train --model rnn-lm run")
    p.add_argument("--prime", default="def ", help="the text to continue (at least one character of the corpus)")
    p.add_argument("--length", type=int, default=300, help="characters to draw")
    p.add_argument("--temperature", type=float, default=1.0,
                   help="divides the logits: below 1 sharper and more repetitive, above 1 more random")
    p.add_argument("--seed", type=int, default=0)
    return p


def main(args) -> None:
    """Run ``fnn sample``: the text a trained language model writes after the prime."""
    from fnn import run

    print(args.prime + run.load(args.run_dir).sample(args.prime, length=args.length, temperature=args.temperature,
                                                     seed=args.seed))
