"""``fnn export``: a trained run's prediction function as serialized StableHLO (and ONNX)."""

from __future__ import annotations

import argparse


def add_parser(sub) -> argparse.ArgumentParser:
    """Add ``fnn export`` to the ``fnn`` parser's sub-commands."""
    p = sub.add_parser("export", help="write a trained run's prediction function to run without fnn (jax.export, "
                                      "ONNX)")
    p.add_argument("run_dir", metavar="RUN_DIR", help="the folder of a finished fnn train run")
    p.add_argument("--out", default=None, help="the folder to write to (default: RUN_DIR)")
    p.add_argument("--onnx", action="store_true", help="also write model.onnx (needs pip install 'fnn[onnx]')")
    return p


def main(args) -> None:
    """Run ``fnn export``: write model.jax_export, export.json and, with --onnx, model.onnx."""
    from fnn.run import export

    try:
        written = export.export(args.run_dir, args.out, onnx=args.onnx)
    except ImportError as error:
        raise ValueError(f"--onnx: {str(error).removeprefix('export: ')}") from None
    print("wrote " + ", ".join(str(path) for path in written.values()))
