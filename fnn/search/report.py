"""The record of a search: the lecture's table, ``trials.json``, ``trials.csv`` and ``search.png``."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

from fnn import files, history
from fnn.search.rounds import Round
from fnn.search.space import Grid, Uniform
from fnn.search.trials import rank


def records(rounds: list[Round]) -> list[dict]:
    """One flat record per trial: round, rank in its round, score and its std over folds, the
    searched settings, the last epoch's validation metrics (``val_<metric>``), group."""
    rows = []
    for number, done in enumerate(rounds, start=1):
        for rank, result in enumerate(done.results, start=1):
            rows.append({"round": number, "rank": rank, "score": result.score, "score_std": result.score_std,
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
    for rank, result in enumerate(results[:limit], start=1):
        score = "diverged" if math.isnan(result.score) else (
            f"{result.score:.4f} ± {result.score_std:.4f}" if folds else f"{result.score:.4f}")
        values = "  ".join(f"{_shown(result.settings[n]):>10}" for n in names)
        lines.append(f"{rank:>4}  {score:>{width}}  {values}  {result.group:>5}")
    return "\n".join(lines)


def plot(rounds: list[Round], path, *, metric: str, title: str = "") -> Path:
    """The validation ``metric`` of every trial over the two first searched settings: a scatter
    coloured by the score (log axes for log-uniform settings; one setting: the score against it),
    later rounds as smaller markers, the best trial starred. Diverged trials are grey crosses."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    space = rounds[0].space
    names = list(space)[:2]
    trials = [r for done in rounds for r in done.results]
    round_of = {id(r): number for number, done in enumerate(rounds) for r in done.results}
    fig, ax = plt.subplots(figsize=(6.5, 5))

    def coordinates(chosen):
        return ([r.settings[names[0]] for r in chosen],
                [r.settings[names[1]] if len(names) > 1 else r.score for r in chosen])

    finite = [r for r in trials if not math.isnan(r.score)]
    if finite:
        points = ax.scatter(*coordinates(finite), c=[r.score for r in finite], cmap="viridis", edgecolors="k",
                            linewidths=0.3, s=[60 / (1 + round_of[id(r)]) for r in finite])
        fig.colorbar(points, ax=ax, label=f"validation {metric}")
        ax.scatter(*coordinates(rank(finite, metric)[:1]), marker="*", s=260, facecolors="none", edgecolors="red",
                   label="best")
    diverged = [r for r in trials if math.isnan(r.score)]
    if diverged and len(names) > 1:
        ax.scatter(*coordinates(diverged), marker="x", c="0.6", label="diverged")
    if finite:
        ax.legend(loc="best")
    for axis, name in zip(("x", "y"), names):
        _label_axis(ax, axis, name, space[name])
    if len(names) == 1:
        ax.set_ylabel(f"validation {metric}")
    ax.set_title(title or f"validation {metric} of {len(trials)} trials")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return files.save_figure(fig, path)


def _label_axis(ax, axis: str, name: str, dimension) -> None:
    getattr(ax, f"set_{axis}label")(name + (" (log scale)" if getattr(dimension, "log", False) else ""))
    if isinstance(dimension, Uniform) and dimension.log:
        getattr(ax, f"set_{axis}scale")("log")
    elif isinstance(dimension, Grid) and all(isinstance(v, (int, float)) for v in dimension.values):
        getattr(ax, f"set_{axis}ticks")(sorted(set(dimension.values)))
