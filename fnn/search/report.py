"""The record of a search: the lecture's table, ``trials.json``, ``trials.csv`` and ``search.png``."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

from fnn import history
from fnn.search.rounds import Round
from fnn.search.space import Grid, Uniform
from fnn.util import files


def records(rounds: list[Round]) -> list[dict]:
    """One flat record per trial: round, rank in its round, score and its std over folds, the
    searched settings, the last epoch's validation metrics (``val_<metric>``), group."""
    rows = []
    for number, done in enumerate(rounds, start=1):
        for place, result in enumerate(done.results, start=1):
            rows.append({"round": number, "rank": place, "score": result.score, "score_std": result.score_std,
                         **result.settings, **{f"val_{k}": v for k, v in result.val.items()}, "group": result.group})
    return rows


def describe_space(space: dict) -> dict:
    """A space as JSON: ``{"lr": {"kind": "LogUniform", "low": ..., "high": ..., "integer": false}}``."""
    return {name: {"kind": type(d).__name__, **dataclasses.asdict(d)} for name, d in space.items()}


def save(rounds: list[Round], out) -> dict[str, Path]:
    """Write ``trials.json`` (every round's space and trials, with their configurations and
    validation curves) and ``trials.csv`` (``records``) into ``out``."""
    out = Path(out)
    document = [{"round": number, "space": describe_space(done.space),
                 "trials": [{"settings": r.settings, "score": _json_number(r.score),
                             "score_std": _json_number(r.score_std),
                             "val": {k: _json_number(v) for k, v in r.val.items()},
                             "curve": [_json_number(v) for v in r.curve], "group": r.group,
                             "config": r.config.to_dict()} for r in done.results]}
                for number, done in enumerate(rounds, start=1)]
    return {"json": files.atomic_write_json(out / "trials.json", document),
            "csv": files.atomic_write_text(out / "trials.csv", history.csv_text(records(rounds)))}


def _json_number(value: float):
    """NaN (a diverged trial) as null: JSON has no NaN."""
    return None if isinstance(value, float) and math.isnan(value) else value


def _shown(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def format_table(results: list, metric: str, *, folds: int | None = None, limit: int | None = None) -> str:
    """The lecture's printout: one line per trial, best first: rank, the validation ``metric``
    (with its std over the folds), each searched value, the group; a diverged trial reads "diverged"."""
    names = list(results[0].settings) if results else []
    label = f"val {metric}" + (f" ({folds}-fold)" if folds else "")
    width = max(len(label), 17 if folds else 8)
    lines = [f"{'rank':>4}  {label:>{width}}  " + "  ".join(f"{n:>10}" for n in names) + "  group"]
    for place, result in enumerate(results[:limit], start=1):
        score = "diverged" if math.isnan(result.score) else (
            f"{result.score:.4f} ± {result.score_std:.4f}" if folds else f"{result.score:.4f}")
        values = "  ".join(f"{_shown(result.settings[n]):>10}" for n in names)
        lines.append(f"{place:>4}  {score:>{width}}  {values}  {result.group:>5}")
    return "\n".join(lines)


def axes(space: dict) -> dict:
    """How the search picture draws each searched setting's axis: (log scale, the grid's values as
    ticks or None) (``fnn.plots.search``)."""
    def ticks(dimension):
        numeric = isinstance(dimension, Grid) and all(isinstance(v, (int, float)) for v in dimension.values)
        return sorted(set(dimension.values)) if numeric else None

    return {name: (isinstance(dimension, Uniform) and dimension.log, ticks(dimension)) for name, dimension in space.items()}
