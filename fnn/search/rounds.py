r"""A whole search: rounds of grid or random trials, each round narrowed around the last one's best
(coarse to fine), and the best configuration retrained on train + validation and tested.

Math (coarse to fine, round r = 1..R): S_1 = the given space; trials_r = grid(S_r) or n samples
of S_r (n = ``trials``); best_r = the ``keep`` best trials of round r; S_{r+1} = narrow(S_r, best_r).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import NamedTuple

import jax
import jax.numpy as jnp
from tqdm.auto import tqdm

from fnn import parallel
from fnn.data.prepare import Prepared
from fnn.fit import FitResult, fit
from fnn.run import CONFIG_FILE, assembly, test_scores, trained
from fnn.run.configuration import RunConfig
from fnn.search import space as spaces
from fnn.search.trials import TrialResult, check_space, rank, train_trials
from fnn.util import files, validate

METHODS = ("grid", "random")


class Round(NamedTuple):
    """One round of a search: the space it drew from and its trials, best first."""

    space: dict
    results: list[TrialResult]


def search(base: RunConfig, space: dict, *, key, data: Prepared | None = None, method: str = "random",
           trials: int = 16, points: int = 3, rounds: int = 1, keep: int | None = None, folds: int | None = None,
           value_and_grad=None, progress: bool = False, devices: int | None = None) -> list[Round]:
    """Search ``space`` around the runs of ``base``; return every round.

    Args:
        base: the fixed part of every trial (``fnn.search.trials.trial_config`` applies a trial).
        space: setting name -> ``Grid``, ``Uniform`` or ``LogUniform`` (``fnn.search.space``).
        key: draws the random trials (round r uses ``fold_in(key, r)``).
        data: the split and scaled data (default: ``assembly.load_data(base)``).
        method: "grid" (``grid(space, points=points)``) or "random" (``trials`` draws).
        rounds: coarse-to-fine rounds; each after the first searches the space narrowed
            around the previous round's ``keep`` best trials (default: a quarter, at least 1).
            A grid search stops early when narrowing leaves its grid as it was.
        folds: k-fold cross-validation instead of the validation split.
        value_and_grad, progress: as in ``fnn.run.run``.
        devices: split each group's trials over this many devices (``trials.train_together``).
    Raises:
        ValueError: every trial of a round diverged (nothing to narrow around).
    """
    validate.choice("search", "method", method, METHODS)
    trials, rounds = validate.integer("search", "trials", trials), validate.integer("search", "rounds", rounds)
    keep = None if keep is None else validate.integer("search", "keep", keep)
    folds = None if folds is None else validate.integer("search", "folds", folds, 2)
    check_space(base, space)
    if devices is not None:
        parallel.batch_mesh(devices)  # enough devices, before any data is loaded
    data = assembly.load_data(base) if data is None else data
    done = []
    for r in tqdm(range(rounds), desc="rounds", unit="round", disable=not progress or rounds == 1, leave=False):
        drawn = spaces.grid(space, points=points) if method == "grid" else spaces.sample(
            jax.random.fold_in(key, r), space, trials)
        results = train_trials(base, drawn, data, folds=folds, value_and_grad=value_and_grad, progress=progress,
                               devices=devices)
        done.append(Round(space, results))
        finite = [result for result in results if not math.isnan(result.score)]
        if not finite:
            raise ValueError(f"search: every trial of round {r + 1} diverged (non-finite validation loss); "
                             "search lower learning rates")
        narrowed = spaces.narrow(space, [result.settings for result in finite[:keep or max(1, len(results) // 4)]])
        if method == "grid" and narrowed == space:
            break  # the same grid again would train the same trials
        space = narrowed
    return done


def best(rounds: list[Round]) -> TrialResult:
    """The best trial of all rounds (each round's results are best first)."""
    return rank([r.results[0] for r in rounds], rounds[0].results[0].config.task.main_metric)[0]


class Retrained(NamedTuple):
    """The best configuration trained on train + validation: its parts, fit result and test scores."""

    parts: assembly.RunParts
    result: FitResult
    test: dict
    test_report: dict | None


def retrain(config: RunConfig, data: Prepared, *, value_and_grad=None, progress: bool = False) -> Retrained:
    """Train ``config`` on the training and validation parts together, then score it on the test
    part (``fnn.run.test_scores``: the task's metrics and the classification report)."""
    pooled = tuple(jnp.concatenate([a, b]) for a, b in zip(data.train, data.val))
    parts = assembly.build(config, data=data._replace(train=pooled), value_and_grad=value_and_grad)
    result = fit(parts.objective, parts.optimizer, parts.params, pooled, batch_size=parts.batch_size,
                 key=parts.fit_key, epochs=config.epochs, model_state=parts.model_state,
                 value_and_grad=parts.value_and_grad, augment=parts.augment, shuffle=config.shuffle,
                 progress=progress, train_scores=False)  # only the test scores are reported
    return Retrained(parts, result, *test_scores(parts.objective, result.state.params, result.state.model_state, data))


def save_best(out, retrained: Retrained) -> dict[str, Path]:
    """Write the retrained best as a run folder (``config.json``, ``params.npz``, ``model.npz``,
    ``run.json`` with ``"trained_on": "train+val"``) that ``fnn predict`` and ``fnn evaluate`` read."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    parts, state = retrained.parts, retrained.result.state
    saved = {"best_config": files.atomic_write_json(out / CONFIG_FILE, parts.config.to_dict())}
    summary = {"config": parts.config.to_dict(), "model": repr(parts.objective.model), "in_shape": list(parts.in_shape),
               "output_units": parts.output_units, "trained_on": "train+val",
               "train_samples": int(parts.data.train[1].shape[0]), "test": retrained.test,
               "test_report": retrained.test_report, "epochs_run": len(retrained.result.history)}
    written = trained.save(out, state.params, state.model_state, parts.data, summary)
    saved |= {f"best_{k}": v for k, v in written.items()}
    return saved
