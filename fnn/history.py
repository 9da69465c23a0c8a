"""The record of a training run: JSON and CSV files (its figure: ``fnn.plots.history``)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from fnn.util import files


def save(history: list[dict], folder) -> dict[str, Path]:
    """Write ``history.json`` and ``history.csv`` into ``folder``; return their paths."""
    folder = Path(folder)
    return {
        "json": files.atomic_write_json(folder / "history.json", history),
        "csv": files.atomic_write_text(folder / "history.csv", csv_text(history)),
    }


def csv_text(records: list[dict]) -> str:
    """The records as CSV with a header: every key of any record, in order of first appearance."""
    columns = list(dict.fromkeys(key for record in records for key in record))
    table = io.StringIO()
    writer = csv.DictWriter(table, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return table.getvalue()
