"""``fnn predict``: the predictions of a trained run for new rows."""

from __future__ import annotations

import argparse


def add_parser(sub) -> argparse.ArgumentParser:
    """Add ``fnn predict`` to the ``fnn`` parser's sub-commands."""
    p = sub.add_parser("predict", help="labels (or regression values) of a trained run for new rows")
    p.add_argument("run_dir", metavar="RUN_DIR", help="the folder of a finished fnn train run")
    p.add_argument("input", metavar="INPUT",
                   help="rows in the data set's units: a .npy array or a CSV file (no header; for a run on a CSV "
                        "table, with a header naming its feature columns)")
    p.add_argument("--output", default=None, help="write the predictions to this .csv, .npy or .npz file (default: print)")
    return p


def main(args) -> None:
    """Run ``fnn predict``: print the predictions of a trained run for the rows of INPUT (or write them)."""
    import numpy as np

    from fnn import run
    from fnn.run import trained

    if args.output is not None:
        trained.check_output(args.output, "--output")
    model = run.load(args.run_dir)
    predictions = np.asarray(model.predict(trained.read_inputs(model, args.input)))
    if args.output is None:
        print(trained.format_rows(predictions), end="")
    else:
        print(f"wrote {len(predictions)} predictions to {trained.write_rows(args.output, predictions)}")
