"""The user's own data: a table in a file (``fnn train --data FILE --target COLUMN``).

Three forms:
    CSV   a header row names the columns; ``target`` names the target column and every other
          column is a feature (numbers only: encode a category as numbers first);
    .npz  arrays ``X`` (N, D) and ``y`` (N,) (no ``target``);
    .npy  one 2-D array of numbers; ``target`` is the index of the target column.

The task follows the target (``infer_task``): text, booleans and whole numbers with at most 20
distinct values are class labels, other numbers are regression targets; ``target_type``
overrides it. Class labels are the
target's distinct values in sorted order, numbered 0..K-1 (``encode_target``); a prediction
is mapped back to them. Every check names the file, the column and the line: a missing or
NaN cell, text in a feature column, a target with one class, rows of different lengths.
A feature that is constant on the training split carries no information; ``constant_columns``
names such columns, which a run reports (data sets like digits have them too: border pixels).
"""

from __future__ import annotations

import csv
import functools
import math
from pathlib import Path
from typing import NamedTuple

import numpy as np

from fnn.report import SUMMARY_ROWS

SUFFIXES = (".csv", ".npy", ".npz")
TASKS = ("classification", "regression")
MAX_INFERRED_CLASSES = 20
"""Whole numbers with more distinct values than this are read as a regression target unless told otherwise."""
MAX_CLASSES = 1000
"""More distinct labels than this is taken for a mistake (a real-valued target read as classes)."""


class TableError(ValueError):
    """A problem with the user's table: ``setting`` is the one it concerns (``data``, ``target`` or
    ``target_type``), ``reason`` says what was expected and what the file holds."""

    def __init__(self, setting: str, reason: str):
        super().__init__(f"{setting}: {reason}")
        self.setting, self.reason = setting, reason


class Table(NamedTuple):
    """Features X (N, D) float32, the target's raw values y (N,), and the column names."""

    X: np.ndarray
    y: np.ndarray
    features: tuple[str, ...]
    target: str


def read(path, target) -> Table:
    """The table in ``path`` (one of ``SUFFIXES``), split into features and ``target``; a ``TableError``
    names the file and what is wrong with it. A file read before and unchanged since is not read again
    (a run's configuration reads it to check it, and its data is then loaded from it)."""
    path = _existing(path)
    stat = path.stat()
    return _read(path.resolve(), target, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _read(path: Path, target, modified: int, size: int) -> Table:
    if path.suffix == ".csv":
        return _read_csv(path, target)
    if path.suffix == ".npz":
        if target is not None:
            raise TableError("target", f"a .npz file holds its target as the array y: expected none, "
                             f"got {target!r}")
        X, y = _npz_arrays(path)
        return Table(_features(X, path), y, tuple(f"x{i}" for i in range(X.shape[1])), "y")
    return _read_npy(path, target)


def _existing(path) -> Path:
    path = Path(path)
    if path.suffix not in SUFFIXES:
        raise TableError("data", f"expected a .csv, .npy or .npz file, got {path}")
    if not path.is_file():
        raise TableError("data", f"expected the file {path}, got none")
    return path


def _read_csv(path: Path, target) -> Table:
    if target is None:
        raise TableError("target", "a CSV file names its columns: expected the target column's name, got none")
    header, body = _csv_rows(path, "data")
    if not body:
        raise TableError("data", f"expected a header row and at least one row of data in {path}, got "
                                 f"{len(body) + 1 if header else 0} rows")
    if target not in header:
        raise TableError("target", f"expected one of the columns of {path} ({', '.join(header)}), got {target!r}")
    columns = {name: [row[i].strip() for row in body] for i, name in enumerate(header)}
    features = tuple(name for name in header if name != target)
    X = np.stack([_numbers(columns[name], name, path) for name in features], axis=1) if features else None
    if X is None:
        raise TableError("data", f"expected at least one feature column besides the target {target!r} in {path}")
    y = np.asarray(columns[target])
    numeric = _target_numbers(y, target, path)
    return Table(X.astype(np.float32), y if numeric is None else numeric, features, target)


def _csv_rows(path: Path, setting: str) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of a CSV file (a byte-order mark, as spreadsheets write, is skipped); every row
    as long as the header, and each column named once."""
    with path.open(newline="", encoding="utf-8-sig") as file:
        rows = list(csv.reader(file))
    header = [name.strip() for name in rows[0]] if rows else []
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise TableError(setting, f"expected each column of {path} named once, got {', '.join(map(repr, repeated))} "
                                  "more than once")
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise TableError(setting, f"expected {len(header)} cells in every row of {path}, got {len(row)} at "
                                      f"line {line}")
    return header, rows[1:]


def _target_numbers(y: np.ndarray, column: str, path: Path):
    """The target's cells as numbers (int64 when every one is a whole number that int64 holds
    exactly), or None when one holds text; an empty or non-finite cell is named with its line."""
    values = []
    for line, cell in enumerate(y, start=2):
        try:
            values.append(float(cell))
        except ValueError:
            if cell == "":
                raise TableError("data", f"the target {column!r} of {path} has an empty cell at line {line}: "
                                         "expected a label or a finite number in every row") from None
            values.append(None)
            continue
        if not math.isfinite(values[-1]):
            raise TableError("data", f"the target {column!r} of {path} has {cell} at line {line}: expected a label "
                                     "or a finite number in every row")
    if None in values:
        return None
    values = np.asarray(values)
    whole = np.all(values == np.round(values)) and np.all(np.abs(values) < 2**53)
    return values.astype(np.int64) if whole else values


def _numbers(cells: list[str], column: str, path: Path) -> np.ndarray:
    """A feature column's cells as numbers; text, empty cells and NaN are named with their line."""
    values = np.empty(len(cells))
    for line, cell in enumerate(cells, start=2):
        try:
            values[line - 2] = float(cell)
        except ValueError:
            if cell == "":
                raise TableError("data", f"column {column!r} of {path} has an empty cell at line {line}: expected a "
                                 "number in every cell (fill in or drop the rows with missing values)") from None
            raise TableError("data", f"column {column!r} of {path} holds text ({cell!r} at line {line}): expected "
                             "numbers (encode a category as numbers, e.g. one column per value)") from None
        if not math.isfinite(values[line - 2]):
            raise TableError("data", f"column {column!r} of {path} has {cell} at line {line}: expected finite numbers")
    return values


def _npz_arrays(path: Path):
    try:
        with np.load(path, allow_pickle=False) as arrays:
            missing = [name for name in ("X", "y") if name not in arrays.files]
            if missing:
                raise TableError("data", f"expected arrays X and y in {path}, got "
                                         f"{', '.join(arrays.files) or 'none'}")
            X, y = arrays["X"], arrays["y"]
    except TableError:
        raise
    except (OSError, EOFError, ValueError) as error:  # ValueError: arrays of Python objects (pickled)
        raise TableError("data", f"expected a .npz archive of arrays of numbers or text in {path}, got {error}") from None
    if X.ndim != 2 or y.ndim != 1 or len(X) != len(y):
        raise TableError("data", f"expected X of shape (N, D) and y of shape (N,) in {path}, got X {X.shape} and y "
                         f"{y.shape}")
    return X, _checked_targets(y.astype(str) if y.dtype.kind == "S" else y, f"y of {path}")


def _checked_targets(y: np.ndarray, what: str) -> np.ndarray:
    """``y`` when it holds numbers or text, every number finite; else a ``TableError`` naming ``what``."""
    if y.dtype.kind not in "biufU":
        raise TableError("data", f"expected numbers or text in {what}, got dtype {y.dtype}")
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        raise TableError("data", f"{what} has {int(np.sum(~np.isfinite(y)))} NaN or infinite entries: expected "
                                 "finite targets")
    return y


def _read_npy(path: Path, target) -> Table:
    try:
        table = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise TableError("data", f"expected a .npy array of numbers in {path}, got {error}") from None
    if table.ndim != 2 or table.shape[1] < 2:
        raise TableError("data", f"expected a 2-D array with a target and a feature column in {path}, got shape "
                         f"{table.shape}")
    try:
        column = int(target)
    except (TypeError, ValueError):
        raise TableError("target", f"a .npy array's columns are numbered: expected a column index in "
                         f"[0, {table.shape[1] - 1}], got {target!r}") from None
    if not -table.shape[1] <= column < table.shape[1]:
        raise TableError("target", f"expected a column index in [0, {table.shape[1] - 1}], got {column}")
    column %= table.shape[1]
    kept = [i for i in range(table.shape[1]) if i != column]
    y = _checked_targets(table[:, column], f"the target column {column} of {path}")
    return Table(_features(table[:, kept], path), y, tuple(f"x{i}" for i in kept), f"x{column}")


def _features(X: np.ndarray, path: Path) -> np.ndarray:
    if X.dtype.kind not in "biuf":
        raise TableError("data", f"expected numbers in the features of {path}, got dtype {X.dtype}")
    bad = ~np.isfinite(X.astype(np.float64))
    if bad.any():
        row, column = np.argwhere(bad)[0]
        raise TableError("data", f"the features of {path} have {int(bad.sum())} NaN or infinite entries (the first "
                         f"in row {row}, column {column}): expected finite numbers")
    return X.astype(np.float32)


def infer_task(y: np.ndarray) -> str:
    """The task a target asks for: classification for text, booleans and whole numbers of at most
    ``MAX_INFERRED_CLASSES`` values; regression for other numbers (a price in whole units, say)."""
    if y.dtype.kind in "bUS":
        return "classification"
    whole = y.dtype.kind in "iu" or bool(np.all(y == np.round(y)))
    return "classification" if whole and len(np.unique(y)) <= MAX_INFERRED_CLASSES else "regression"


def encode_target(y: np.ndarray, task: str, path) -> tuple[np.ndarray, tuple]:
    """(targets, labels): for classification the index of each value among the sorted distinct
    values (int32) and those values; for regression the numbers (float32) and ()."""
    if task == "regression":
        if y.dtype.kind not in "biuf":
            raise TableError("target_type", f"regression needs numbers in the target of {path}, got text such "
                                            f"as {y[0]!r}")
        return y.astype(np.float32), ()
    labels, index = np.unique(y, return_inverse=True)
    if len(labels) < 2:
        raise TableError("data", f"the target of {path} has one class ({labels[0].item()!r}) in all {len(y)} rows: expected "
                         "at least two")
    if len(labels) > MAX_CLASSES:
        raise TableError("target_type", f"classification of {path} would have {len(labels)} classes, more than "
                                        f"{MAX_CLASSES}: expected class labels (a real-valued target is a "
                                        "regression)")
    if clashes := sorted({str(label) for label in labels} & set(SUMMARY_ROWS)):
        raise TableError("data", f"the target of {path} has the class {clashes[0]!r}: expected class labels other than "
                                 f"{' and '.join(SUMMARY_ROWS)}, the rows of the evaluation report (rename the class)")
    return index.astype(np.int32), tuple(label.item() for label in labels)


def constant_columns(X, features: tuple[str, ...]) -> list[str]:
    """The names of the columns of X (N, D) that hold one value in every row."""
    X = np.asarray(X)
    return [name for name, column in zip(features, X.T) if np.all(column == column[0])]


def feature_rows(path, features: tuple[str, ...]) -> np.ndarray:
    """The rows of the CSV file ``path`` to predict: its header holds the training run's feature
    columns, in any order; other columns (the target, say) are ignored."""
    path = Path(path)
    try:
        header, rows = _csv_rows(path, "data")
        missing = ", ".join(name for name in features if name not in header)
        if not rows or missing:
            raise TableError("data", f"expected a header naming the run's feature columns and at least one row in "
                                     f"{path}, got {f'no {missing}' if missing else 'no rows'}")
        columns = [_numbers([row[header.index(name)].strip() for row in rows], name, path) for name in features]
    except TableError as error:
        raise ValueError(f"predict: {error.reason}") from None
    return np.stack(columns, axis=1).astype(np.float32)
