"""The picture of a search (``search.png``): each trial's score against the searched values, round by round."""

from __future__ import annotations

import math
from pathlib import Path

from fnn.plots import figures


def plot(rounds: list, path, *, metric: str, best, axes: dict, title: str = "") -> Path:
    """The validation ``metric`` of every trial over the two first searched settings: a scatter
    coloured by the score (one setting: the score against it), later rounds as smaller markers,
    the ``best`` trial starred, diverged trials as grey crosses.

    Args:
        rounds: the search's rounds (``fnn.search.rounds.Round``: ``space`` and ``results``, each
            with ``settings`` and ``score``).
        axes: per searched setting, (log scale, ticks or None) (``fnn.search.report.axes``).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(rounds[0].space)[:2]
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
        ax.scatter(*coordinates([best]), marker="*", s=260, facecolors="none", edgecolors="red", label="best")
    diverged = [r for r in trials if math.isnan(r.score)]
    if diverged and len(names) > 1:
        ax.scatter(*coordinates(diverged), marker="x", c="0.6", label="diverged")
    if finite:
        ax.legend(loc="best")
    for axis, name in zip(("x", "y"), names):
        _label_axis(ax, axis, name, *axes[name])
    if len(names) == 1:
        ax.set_ylabel(f"validation {metric}")
    ax.set_title(title or f"validation {metric} of {len(trials)} trials")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return figures.save(fig, path)


def _label_axis(ax, axis: str, name: str, log: bool, ticks) -> None:
    getattr(ax, f"set_{axis}label")(name + (" (log scale)" if log else ""))
    if log:
        getattr(ax, f"set_{axis}scale")("log")
    elif ticks is not None:
        getattr(ax, f"set_{axis}ticks")(ticks)
