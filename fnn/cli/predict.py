"""``fnn predict``: the predictions of a trained run for new rows, their class probabilities, or,
for a language model, the characters it expects next in lines of text."""

from __future__ import annotations

import argparse


def add_parser(sub) -> argparse.ArgumentParser:
    """Add ``fnn predict`` to the ``fnn`` parser's sub-commands."""
    p = sub.add_parser("predict", help="labels (or regression values) of a trained run for new rows")
    p.add_argument("run_dir", metavar="RUN_DIR", help="the folder of a finished fnn train run")
    p.add_argument("input", metavar="INPUT",
                   help="rows in the data set's units: a .npy array or a CSV file (no header; for a run on a CSV "
                        "table, with a header naming its feature columns); for a language model, a text file")
    p.add_argument("--proba", action="store_true",
                   help="the probability of each class instead of the class (the class scores for a model trained "
                        "with the hinge loss), after a header line naming the classes")
    p.add_argument("--output", default=None,
                   help="write the predictions to this .csv, .npy or .npz file (default: print; a language model's "
                        "are always printed)")
    return p


def main(args) -> None:
    """Run ``fnn predict``: print the predictions of a trained run for the rows of INPUT (or write them)."""
    from fnn import run
    from fnn.run import models

    from fnn.run import trained

    if args.output is not None:
        trained.check_output(args.output, "--output")  # before any work
    model = run.load(args.run_dir)
    if models.get(model.config.model).writes_text:
        _predict_text(model, args)
    else:
        _predict_rows(model, args)


def _predict_rows(model, args) -> None:
    import numpy as np

    from fnn.run import trained

    rows, header = trained.read_inputs(model, args.input), ""
    if args.proba:
        if args.output is not None and args.output.endswith(".npy"):
            raise ValueError(f"--output {args.output}: --proba writes the class names beside the probabilities: "
                             "expected a .csv or .npz file")
        try:
            predictions = np.asarray(model.predict_proba(rows))
        except ValueError as error:
            raise ValueError(f"--proba: {str(error).removeprefix('predict_proba: ')}") from None
        header = trained.format_header(model.class_names)
    else:
        predictions = np.asarray(model.predict(rows))
    if args.output is None:
        print(header + trained.format_rows(predictions), end="")
    else:
        print(f"wrote {len(predictions)} predictions to {trained.write_rows(args.output, predictions, header)}")


LINE_BREAK = "\u21b5"
"""How a predicted line break is shown, so that the two lines stay aligned: \u21b5."""


def _predict_text(model, args) -> None:
    """Each line of the text file INPUT, followed by the line of characters the model expects next
    (a predicted line break shown as ``LINE_BREAK``), printed."""
    from fnn.util import files

    if args.proba:
        raise ValueError("--proba: expected a run that classifies rows, got a language model (fnn sample draws from "
                         "its probabilities)")
    if args.output is not None:
        raise ValueError(f"--output {args.output}: a language model's predictions are lines of text: expected none "
                         "(they are printed; redirect them to a file with >)")
    lines = files.read_text(args.input, "predict").splitlines()
    predictions = (predicted.replace("\n", LINE_BREAK) for predicted in model.predict_text(lines))
    print("".join(f"{line}\n{predicted}\n" for line, predicted in zip(lines, predictions)), end="")
