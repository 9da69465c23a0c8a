r"""Train the trials of a search, many at once: one vmapped, jitted epoch per group of trials.

A trial is a base ``RunConfig`` with some settings changed (``trial_config``). What a setting
changes decides how trials share work:

- Traced numbers: the learning rate, every numeric hyperparameter of the optimizer (momentum,
  betas, eps, ...), the weight-decay lambda and the clipping norm all live in the optimizer
  state (``fnn.optim.injectable``: ``opt_state.hyperparams``); the seed only gives the
  initial parameters and the keys; the dropout rate and the penalty strength are put into the
  group's objective as tracers (``fnn.search.traced_numbers``). Trials that differ only in these
  train TOGETHER: their ``TrainState``s, keys and objective numbers are stacked on a leading
  trial axis and one jitted call per epoch runs ``jax.vmap`` of ``fit``'s scored epoch over
  that axis, the data shared (``in_axes=None``).
- Settings that change the program: the widths and depth, the batch size, the batch-norm
  momentum, maxout's pieces, and whether there is dropout at all (a rate of 0 builds no
  dropout layers) or a regularizer. Trials that differ in them form separate GROUPS, each
  compiled once.

Each trial in a group is exactly the run ``fit`` would make of its configuration (the same
initial parameters, keys and epochs), so the vmapped trials end where the trials trained one by
one end, up to floating-point reassociation (tested in float64 to 1e-10).

Scoring: the trial's validation scores after its last epoch, on the run's validation split, or
by k-fold cross-validation over the training and validation parts together (``fold_data``):
the mean and standard deviation of the k fold scores. The folds train one after the other,
each with every group.
"""

from __future__ import annotations

import dataclasses
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from tqdm.auto import tqdm

from fnn import optim, parallel, train
from fnn.data.prepare import Prepared
from fnn.data.splits import kfold_indices
from fnn.optim.injectable import hyperparameters
from fnn.run import assembly
from fnn.run.configuration import RunConfig
from fnn.run.settings import SettingError, is_number
from fnn.search import traced_numbers
from fnn.util import interrupts, memory
from fnn.util.memo import get_or_build

TRACED = ("lr", "weight_decay", "clip_norm", "seed", "dropout", "strength")
"""Settings held as numbers in the optimizer state, the keys or the objective (besides the optimizer's own
hyperparameters)."""
GROUPED = ("hidden", "depth", "batch_size", "batchnorm_momentum", "pieces")
"""Settings that change the compiled program: ``hidden`` is the width of every hidden layer,
``depth`` their number."""
INTEGER = ("hidden", "depth", "batch_size", "pieces", "seed")
HIGHER_IS_BETTER = ("accuracy", "r2")
"""Metrics where larger is better; for the others (rmse, mae, perplexity, loss) smaller is."""


def optimizer_numbers(config: RunConfig) -> tuple[str, ...]:
    """The numeric hyperparameters of the configuration's optimizer, besides the learning rate."""
    return tuple(name for name, default in hyperparameters(optim.get(config.optimizer)).items()
                 if name != "learning_rate" and is_number(default))


def searchable(config: RunConfig) -> tuple[str, ...]:
    """Every setting a search over runs like ``config`` may vary."""
    return (*TRACED, *optimizer_numbers(config), *GROUPED)


UNSUPPORTED = ("early_stopping", "plateau", "averaging", "snapshots", "steps", "monitor", "devices")
"""Settings a search refuses: every trial runs its epochs in one vmapped program, without controls."""


def check_base(base: RunConfig) -> None:
    """Refuse the settings a search cannot honour (``UNSUPPORTED``), naming the first one set."""
    for name in UNSUPPORTED:
        if getattr(base, name) not in (None, False):
            raise SettingError(name, f"is not supported by a search (every trial trains for the same epochs "
                                     f"in one vmapped program), got {getattr(base, name)!r}")


def trial_config(base: RunConfig, settings: dict) -> RunConfig:
    """``base`` with ``settings`` applied: a field, an optimizer hyperparameter (into ``hyper``),
    ``hidden`` (every hidden layer's width) or ``depth`` (their number).

    Raises:
        SettingError: an unknown or unsearchable setting (naming those searchable), or a value the
            run refuses (naming its setting, e.g. ``dropout`` or ``hyper.momentum``).
    """
    allowed = searchable(base)
    changes, hyper = {}, dict(base.hyper)
    for name, value in settings.items():
        if name not in allowed:
            raise SettingError(name, f"is not a searchable setting of a run with optimizer {base.optimizer}; "
                                     f"expected one of {', '.join(allowed)}")
        value = int(round(value)) if name in INTEGER and is_number(value) else value
        if name in ("hidden", "depth"):
            continue
        if name in optimizer_numbers(base):
            hyper[name] = value
        else:
            changes[name] = value
    if "hidden" in settings or "depth" in settings:
        changes["hidden"] = _hidden(base, settings)
    return dataclasses.replace(base, hyper=hyper, **changes)


def check_space(base: RunConfig, space: dict) -> None:
    """Refuse a space with a setting ``trial_config`` refuses at a grid value or a range's end
    (before any data is loaded), and the base settings a search cannot honour (``check_base``)."""
    check_base(base)
    for name, dimension in space.items():
        for value in getattr(dimension, "values", None) or dimension.at([0.0, 1.0]):
            trial_config(base, {name: value})


def _hidden(base: RunConfig, settings: dict) -> tuple:
    if "hidden" not in settings and not base.hidden:
        raise SettingError("depth", "needs a hidden width: expected a hidden layer or a searched hidden, got none")
    width = int(round(settings.get("hidden", base.hidden[0] if base.hidden else 1)))
    return (width,) * int(round(settings.get("depth", len(base.hidden))))


def program_key(config: RunConfig) -> tuple:
    """What decides a trial's compiled program: every setting, the traced numbers left out (the
    names of the hyperparameters stay: they shape the optimizer state; a dropout rate above 0 adds layers)."""
    values = config.to_dict()
    for name in ("lr", "seed", "strength"):
        values.pop(name)
    values["dropout"] = values["dropout"] > 0
    for name in ("weight_decay", "clip_norm"):
        values[name] = values[name] is not None
    values["hyper"] = {k: "number" if is_number(v) else v for k, v in values["hyper"].items()}
    values["schedule_args"] = {k: "number" for k in values["schedule_args"]}
    return tuple((k, tuple(sorted(v.items())) if isinstance(v, dict) else tuple(v) if isinstance(v, list) else v)
                 for k, v in sorted(values.items()))


def groups(configs: list[RunConfig]) -> list[list[int]]:
    """The trial indices of each group (trials with one compiled program), in order of first appearance."""
    found: dict = {}
    for index, config in enumerate(configs):
        found.setdefault(program_key(config), []).append(index)
    return list(found.values())


def make_trials_epoch(objective, optimizer, *, batch_size: int, value_and_grad=None, augment=None,
                      shuffle: bool = True):
    """``jax.vmap`` of ``fit``'s scored epoch of ``objective`` over a leading trial axis of the
    objective numbers, states and chain keys, the data and the scored sets shared; jit-compiled:
    ``run(numbers, states, chain_keys, data, scored) -> (states, chain_keys, metrics, scores)``.

    ``numbers`` (``fnn.search.traced_numbers.stacked``) holds each trial's dropout rate and penalty
    strength, placed into ``objective`` inside the program; one program is built per template
    (``traced_numbers.template``), optimizer ``update`` and settings, whatever the numbers.
    """
    args = (traced_numbers.template(objective), optimizer.update, batch_size, value_and_grad or train.autodiff, augment,
            shuffle)
    return get_or_build(_BUILT, (make_trials_epoch, *args), lambda: _jitted_trials_epoch(*args))


_BUILT: dict = {}


def _jitted_trials_epoch(objective, update, batch_size, value_and_grad, augment, shuffle):
    def trial_epoch(trial_numbers: dict, state, chain_key, data, scored):
        traced = traced_numbers.placed(objective, trial_numbers)
        epoch = train.epoch_function(traced, update, batch_size=batch_size, value_and_grad=value_and_grad,
                                     augment=augment, shuffle=shuffle)
        return train.scored_epoch_function(epoch, train.evaluate_function(traced))(state, chain_key, data, scored)

    return jax.jit(jax.vmap(trial_epoch, in_axes=(0, 0, 0, None, None)))


def stack(trees: list):
    """The trees stacked leaf by leaf on a new leading axis (keys included)."""
    return jax.tree.map(lambda *leaves: jnp.stack(leaves), *trees)


def unstack(tree, index: int):
    """Trial ``index`` of a stacked tree."""
    return jax.tree.map(lambda leaf: leaf[index], tree)


def on_devices(devices: int | None, trials: int, stacked: tuple, data, scored):
    """The ``stacked`` trees of the trials split over ``devices`` along the trial axis (padded with
    copies of the last trial to a multiple of ``devices``), the data and the scored sets replicated."""
    if devices is None:
        return stacked, data, scored
    mesh = parallel.batch_mesh(devices)
    pad = -trials % devices
    stacked = jax.tree.map(lambda a: jnp.concatenate([a, jnp.repeat(a[-1:], pad, axis=0)]), stacked)
    stacked = jax.device_put(stacked, parallel.split_batch(mesh))  # axis 0: the trials
    return stacked, *parallel.replicate(mesh, (data, scored))


def check_memory(part: assembly.RunParts, trials: int, devices: int | None) -> None:
    """Refuse a group of ``trials`` like ``part`` whose stacked parameters, gradients and optimizer
    states exceed a device's memory (``fnn.util.memory``): each accelerator holds ceil(trials /
    devices); host devices (``--xla_force_host_platform_device_count``) share one memory."""
    shared = jax.devices()[0].platform == "cpu"
    per_device = trials if shared else math.ceil(trials / (devices or 1))
    count = sum(leaf.size for leaf in jax.tree.leaves(part.params))
    needed = per_device * memory.training_bytes(part.params, jax.eval_shape(part.optimizer.init, part.params))
    memory.check_fits("search", needed, f"{per_device} trials trained together on a device (fewer trials or more "
                                        f"devices lower it), each with {count:,} parameters, their gradients and the "
                                        "optimizer's state")


def train_together(parts: list[assembly.RunParts], val: tuple, *, progress: bool = False, label: str = "trials",
                   devices: int | None = None):
    """Train the runs ``parts`` (one group: one program) together, as ``fit`` would train each.

    Each run starts like ``fit``: its ``fit_key`` splits into the epoch chain and the state's
    key; every epoch is one call of ``make_trials_epoch``, scoring ``val`` after training.
    With ``devices`` the trials are split over that many devices (each device trains its
    share; no trial talks to another, so nothing is all-reduced).

    Returns:
        ``(states, scores)``: the final ``TrainState``s stacked over the trials, and the
        validation scores of every epoch as host arrays, ``scores[metric]`` of shape (epochs, trials).
    """
    first = parts[0]
    check_memory(first, len(parts), devices)
    run = make_trials_epoch(first.objective, first.optimizer, batch_size=first.batch_size,
                            value_and_grad=first.value_and_grad, augment=first.augment, shuffle=first.config.shuffle)
    traced = traced_numbers.stacked([part.config for part in parts], traced_numbers.names(first.objective),
                                    jax.tree.leaves(first.params)[0].dtype)
    chains, states = [], []
    for part in parts:
        chain, state_key = jax.random.split(part.fit_key)
        chains.append(chain)
        states.append(train.init_state(part.params, part.optimizer, model_state=part.model_state, key=state_key))
    data, scored = tuple(map(jnp.asarray, first.data.train)), {"val": tuple(map(jnp.asarray, val))}
    (traced, states, chains), data, scored = on_devices(devices, len(parts), (traced, stack(states), stack(chains)),
                                                         data, scored)
    history = []
    for _ in tqdm(range(first.config.epochs), desc=label, unit="epoch", disable=not progress, leave=False):
        states, chains, _, scores = run(traced, states, chains, data, scored)
        history.append(scores["val"])
        interrupts.check()
    history = jax.device_get(history)
    states = jax.tree.map(lambda a: a[:len(parts)], states)
    return states, {metric: np.stack([h[metric] for h in history])[:, :len(parts)] for metric in history[0]}


def fold_data(data: Prepared, k: int, *, key) -> list[Prepared]:
    """k-fold cross-validation over the training and validation parts together: fold i trains on
    the other folds and validates on fold i (stratified for class labels, ``kfold_indices``).

    The folds' sizes differ by at most one; every fold's parts are cut to the smallest fold's
    lengths (at most one sample each), so all folds share one compiled epoch.
    """
    X = jnp.concatenate([data.train[0], data.val[0]])
    y = jnp.concatenate([data.train[1], data.val[1]])
    folds = kfold_indices(key, X.shape[0], k, y=np.asarray(y) if data.num_classes else None)
    n_train, n_val = min(len(t) for t, _ in folds), min(len(v) for _, v in folds)
    return [data._replace(train=(X[t[:n_train]], y[t[:n_train]]), val=(X[v[:n_val]], y[v[:n_val]]))
            for t, v in folds]


class TrialResult(NamedTuple):
    """One trial of a search.

    Attributes:
        settings: the searched values of the trial.
        config: its whole run configuration.
        score: the validation main metric after the last epoch (mean over the folds); NaN when
            the trial diverged (a non-finite validation loss).
        score_std: its standard deviation over the folds (0 for one validation split).
        val: every validation metric after the last epoch, mean over the folds.
        curve: the validation main metric after each epoch (mean over the folds).
        group: the index of the trial's group (its compiled program).
    """

    settings: dict
    config: RunConfig
    score: float
    score_std: float
    val: dict
    curve: list
    group: int


def train_trials(base: RunConfig, trials: list[dict], data: Prepared, *, folds: int | None = None,
                 value_and_grad=None, progress: bool = False, devices: int | None = None) -> list[TrialResult]:
    """Train and score the trials (``settings`` dicts applied to ``base``), best first.

    Args:
        base: the fixed part of every run; ``data``: its split and scaled data (``assembly.load_data``).
        folds: k for k-fold cross-validation (over train + val); None: score on ``data.val``.
        value_and_grad: the gradient transform for ``gradients="manual"`` (see ``fnn.run.run``).
        devices: split each group's trials over this many devices (``train_together``).
    Returns:
        ``TrialResult``s sorted by score, best first (diverged trials last).
    """
    check_base(base)
    configs = [trial_config(base, settings) for settings in trials]
    fold_sets = fold_data(data, folds, key=jax.random.fold_in(jax.random.key(base.seed), 1)) if folds else [data]
    if not folds and not len(data.val[1]):
        raise ValueError("train_trials: expected a validation split to score the trials on, got val_fraction 0; "
                         "give a val_fraction or folds")
    scores: list[list[dict]] = [[] for _ in configs]  # per trial: (epochs,) arrays per metric, one dict per fold
    for number, members in enumerate(trial_groups := groups(configs)):
        for f, fold in enumerate(fold_sets):
            parts = [assembly.build(configs[i], data=fold, value_and_grad=value_and_grad) for i in members]
            label = f"group {number + 1}/{len(trial_groups)}" + (f" fold {f + 1}/{folds}" if folds else "")
            _, history = train_together(parts, fold.val, progress=progress, label=label, devices=devices)
            for j, i in enumerate(members):
                scores[i].append({metric: values[:, j] for metric, values in history.items()})
    group_of = {i: g for g, members in enumerate(trial_groups) for i in members}
    results = [_result(settings, config, scores[i], group_of[i]) for i, (settings, config) in
               enumerate(zip(trials, configs))]
    return rank(results, base.task.main_metric)


def _result(settings: dict, config: RunConfig, fold_scores: list[dict], group: int) -> TrialResult:
    metric = config.task.main_metric
    last = {name: np.array([scores[name][-1] for scores in fold_scores]) for name in fold_scores[0]}
    diverged = not np.all(np.isfinite(last["loss"]))
    score = math.nan if diverged else float(np.mean(last[metric]))
    curve = np.mean([scores[metric] for scores in fold_scores], axis=0)
    return TrialResult(dict(settings), config, score, math.nan if diverged else float(np.std(last[metric])),
                       {name: float(np.mean(values)) for name, values in last.items()},
                       [float(v) for v in curve], group)


def rank(results: list[TrialResult], metric: str) -> list[TrialResult]:
    """The results best first by ``score`` (larger first for ``HIGHER_IS_BETTER`` metrics), NaN last."""
    sign = -1.0 if metric in HIGHER_IS_BETTER else 1.0
    return sorted(results, key=lambda r: (math.isnan(r.score), sign * r.score if not math.isnan(r.score) else 0.0))

