r"""``fit``: a whole training run of fused epochs, with the training controls and checkpoints.

Each epoch is one device call, the training epoch followed by the evaluation of the
training set (unless ``train_scores`` is False) and the validation set
(``fnn.train.make_scored_epoch``), and one transfer back;
between epochs, on the host: the controls (early stopping, plateau, averaging,
snapshots), the epoch record and the checkpoints. Each epoch's key is split off a chain kept in the
checkpoint, so a run resumed from a checkpoint ends bit-identical to one never interrupted.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import jax
import numpy as np
import optax
from tqdm.auto import tqdm

from fnn import checkpoint, fit_checks
from fnn import monitor as fnn_monitor
from fnn import parallel
from fnn.optim import control
from fnn.optim.injectable import learning_rate_of, with_learning_rate
from fnn.train import TrainState, autodiff, init_state, make_eval_step, make_scored_epoch, make_train_epoch
from fnn.util import interrupts, validate


class FitResult(NamedTuple):
    """What ``fit`` returns.

    Attributes:
        state: the final TrainState (its params are the best epoch's when early stopping
            restores them).
        history: one record per epoch run.
        averaged: the averaged parameters, or None without ``averaging``.
        snapshots: the kept snapshot parameters (empty without ``snapshots``).
        best_epoch: the epoch of the lowest monitored loss.
    """

    state: TrainState
    history: list
    averaged: Any
    snapshots: tuple
    best_epoch: int


@dataclasses.dataclass(frozen=True)
class Controls:
    """The between-epoch controls of a run (each optional)."""

    early_stopping: control.EarlyStopping | None = None
    plateau: control.ReduceOnPlateau | None = None
    averaging: control.Averaging | None = None
    snapshots: control.SnapshotEnsemble | None = None


@dataclasses.dataclass
class _Loop:
    """What changes from epoch to epoch on the host."""

    state: TrainState
    key: Any
    best_params: Any
    history: list
    stopping: Any = None
    plateau: Any = None
    average: Any = None
    kept: tuple = ()

    @property
    def stopped(self) -> bool:
        """Early stopping has fired."""
        return self.stopping is not None and self.stopping.stop

    def checkpoint(self, epoch: int, config: dict) -> checkpoint.Checkpoint:
        controls = {"early_stopping": list(self.stopping) if self.stopping else None,
                    "plateau": list(self.plateau) if self.plateau else None}
        tree = {"state": self.state, "loop_key": self.key, "best_params": self.best_params}
        return checkpoint.Checkpoint(tree, epoch, self.history, controls, config)


def _start(state: TrainState, key, params, controls: Controls) -> _Loop:
    return _Loop(state, key, params, [],
                 stopping=controls.early_stopping.init() if controls.early_stopping else None,
                 plateau=controls.plateau.init(float(learning_rate_of(state.opt_state))) if controls.plateau else None,
                 average=controls.averaging.init(params) if controls.averaging else None)


def _resume(path, loop: _Loop, controls: Controls, steps_per_epoch: int, train_scores: bool) -> tuple[_Loop, int]:
    if controls.averaging or controls.snapshots:
        raise ValueError("fit: resuming a run with averaging or snapshots is not supported; they are not checkpointed")
    saved = checkpoint.load_checkpoint(path, {"state": loop.state, "loop_key": loop.key, "best_params": loop.best_params})
    for name in ("early_stopping", "plateau"):
        wanted = getattr(controls, name)
        if (saved.controls[name] is None) != (wanted is None):
            raise ValueError(f"fit: {path} was saved {'without' if wanted else 'with'} {name}; "
                             "resume with the controls of the interrupted run")
    loop = _Loop(saved.tree["state"], saved.tree["loop_key"], saved.tree["best_params"], list(saved.history),
                 stopping=control.EarlyStoppingState(*saved.controls["early_stopping"]) if controls.early_stopping else None,
                 plateau=control.PlateauState(*saved.controls["plateau"]) if controls.plateau else None)
    if int(loop.state.step) != saved.epoch * steps_per_epoch:
        raise ValueError(f"fit: expected {path} to end at step {saved.epoch * steps_per_epoch} (epoch {saved.epoch} of "
                         f"{steps_per_epoch} steps), got step {int(loop.state.step)}: a run cut short by steps cannot "
                         "be extended, and the batch size and the training data must be the stored run's")
    if _scores_training_set(saved.history) != train_scores:
        raise ValueError(f"fit: {path} was saved with train_scores={not train_scores} (its records "
                         f"{'score' if not train_scores else 'do not score'} the training set); resume with "
                         f"train_scores={not train_scores}, so that every record has the same entries")
    if loop.stopped:
        raise ValueError(f"fit: the run in {path} stopped early at epoch {saved.epoch} (its patience ran out); "
                         "there is nothing to resume")
    return loop, saved.epoch


def _scores_training_set(history: list) -> bool:
    """Whether the records hold training-set scores (``train_accuracy``, ...) besides ``train_loss``."""
    return any(key.startswith("train_") and key != "train_loss" for key in history[-1])


def _evaluate(evaluate, loop: _Loop, sets: dict, scores: dict, controls: Controls, record: dict) -> None:
    """The epoch's scores (and those of the averaged parameters) into ``record``."""
    for name, values in scores.items():
        for metric, value in values.items():
            if not (name == "train" and metric == "loss"):
                record[f"{name}_{metric}"] = float(value)
    if controls.averaging:
        loop.average = controls.averaging.update(loop.average, loop.state.params)
        if "val" in sets:
            averaged = controls.averaging.value(loop.average)
            for metric, value in evaluate(averaged, sets["val"], loop.state.model_state).items():
                record[f"averaged_val_{metric}"] = float(value)


def _apply_controls(loop: _Loop, controls: Controls, epoch: int, record: dict, monitored: str) -> None:
    if controls.snapshots:
        loop.kept = controls.snapshots.update(loop.kept, epoch, loop.state.params)
    if controls.plateau:
        record["learning_rate"] = loop.plateau.learning_rate
        loop.plateau = controls.plateau.update(loop.plateau, record[monitored])
        loop.state = loop.state._replace(opt_state=with_learning_rate(loop.state.opt_state, loop.plateau.learning_rate))
    if controls.early_stopping:
        loop.stopping = controls.early_stopping.update(loop.stopping, epoch, record[monitored])
        if loop.stopping.best_epoch == epoch:
            loop.best_params = loop.state.params


def steps_per_epoch(X, batch_size) -> int:
    """floor(N / B), at least 1 (a batch larger than the data is refused by the epoch itself)."""
    return max(X.shape[0] // validate.integer("steps_per_epoch", "batch_size", batch_size), 1)


class _EpochEnd:
    """Everything between two epochs: metrics, evaluation, controls, the record, checkpoints."""

    def __init__(self, evaluate, sets, controls: Controls, checkpoint_dir, checkpoint_every: int, run_config: dict,
                 train_scores: bool = True):
        self.evaluate, self.sets, self.controls = evaluate, sets, controls
        self.scored = sets if train_scores else {name: data for name, data in sets.items() if name != "train"}
        self.checkpoint_dir, self.checkpoint_every, self.run_config = checkpoint_dir, checkpoint_every, run_config
        self.monitored = "val_loss" if "val" in sets else "train_loss"

    def __call__(self, loop: _Loop, epoch: int, step_metrics: dict, scores: dict, *, last: bool,
                 seconds_since: float) -> dict:
        """The epoch's record from its step metrics and scores (host arrays)."""
        record = {"epoch": epoch, "train_loss": float(np.mean(step_metrics["loss"]))}
        if "layers" in step_metrics:
            record["grad_norm"] = float(np.mean(step_metrics["grad_norm"]))
            record |= fnn_monitor.records(fnn_monitor.mean_over_steps(step_metrics["layers"]))
            record |= fnn_monitor.records(step_metrics["activations"])
        _check_losses(epoch, step_metrics["loss"], int(loop.state.step))
        _evaluate(self.evaluate, loop, self.sets, scores, self.controls, record)
        _check_record(epoch, record)
        _apply_controls(loop, self.controls, epoch, record, self.monitored)
        record["seconds"] = time.perf_counter() - seconds_since
        loop.history.append(record)
        if self.checkpoint_dir is not None:
            if epoch % self.checkpoint_every == 0 or last or loop.stopped:
                self.save(loop, "last.npz", epoch)
            if record[self.monitored] <= min(r[self.monitored] for r in loop.history):
                self.save(loop, "best.npz", epoch)
        return record

    def save(self, loop: _Loop, name: str, epoch: int) -> None:
        checkpoint.save_checkpoint(Path(self.checkpoint_dir) / name, loop.checkpoint(epoch, self.run_config))


class Interrupted(KeyboardInterrupt):
    """Ctrl-C stopped ``fit`` after ``epoch`` complete epochs (``history`` their records); with a
    ``checkpoint_dir`` its ``last.npz`` holds that epoch, so the run can be resumed."""

    def __init__(self, epoch: int, history: list):
        super().__init__(f"interrupted after epoch {epoch}")
        self.epoch, self.history = epoch, history


def _interrupted(epoch_end: _EpochEnd, epoch: int, loop: _Loop) -> Interrupted:
    """Checkpoint the last complete epoch (the interrupted one may be half done) and say where it stopped;
    a second Ctrl-C meanwhile is absorbed: the run is stopping already."""
    if epoch_end.checkpoint_dir is not None and epoch > 0:
        with interrupts.held(then_raise=False):
            epoch_end.save(loop, "last.npz", epoch)
    return Interrupted(epoch, loop.history)


class NonFiniteError(ValueError):
    """Training produced a NaN or infinite loss or metric: the run stops instead of saving it."""


def _check_losses(epoch: int, losses: np.ndarray, steps_done: int) -> None:
    finite = np.isfinite(losses)
    if not finite.all():
        first = int(np.argmin(finite))
        step = steps_done - losses.shape[0] + first + 1
        raise NonFiniteError(f"fit: the training loss became {float(losses[first])} at epoch {epoch}, step {step} "
                             f"({first + 1} of the epoch); lower the learning rate or clip gradients")


def _check_record(epoch: int, record: dict) -> None:
    broken = sorted(k for k, v in record.items() if not math.isfinite(v))
    if broken:
        raise NonFiniteError(f"fit: {', '.join(broken)} became non-finite at epoch {epoch}")


def _result(loop: _Loop, controls: Controls, monitored: str) -> FitResult:
    best_epoch = min(loop.history, key=lambda r: r[monitored])["epoch"]
    state = loop.state
    if controls.early_stopping and controls.early_stopping.restore_best:
        state = state._replace(params=loop.best_params)
    averaged = controls.averaging.value(loop.average) if controls.averaging else None
    return FitResult(state, loop.history, averaged, loop.kept, best_epoch)


def _run_epochs(loop: _Loop, epochs: range, compiled: Callable, epoch_end: _EpochEnd, progress: bool,
                on_epoch) -> None:
    """Run ``epochs``, each by the compiled function ``compiled(epoch)``; Ctrl-C or SIGTERM becomes
    ``Interrupted`` (also one whose exception a callback swallowed: ``fnn.util.interrupts.check``).

    Without a plateau control (the only one that changes the state between epochs), the next
    epoch is dispatched before this one's results are read, so the device never waits for
    the host's bookkeeping; when early stopping fires, that one epoch is computed in vain.
    """
    finished = epochs.start - 1, dataclasses.replace(loop, history=list(loop.history))
    dispatch = functools.partial(_dispatch, compiled, epoch_end.sets["train"], epoch_end.scored)
    pending = None
    try:
        for epoch in tqdm(epochs, desc="epochs", unit="epoch", disable=not progress, leave=False):
            start = time.perf_counter()
            loop.state, loop.key, results = pending or dispatch(epoch, loop.state, loop.key)
            interrupts.check()
            ahead = epoch < epochs[-1] and epoch_end.controls.plateau is None
            pending = dispatch(epoch + 1, loop.state, loop.key) if ahead else None
            step_metrics, scores = jax.device_get(results)  # the epoch's one transfer to the host
            with interrupts.held():  # its record and checkpoints are kept whole; then Ctrl-C stops the run
                record = epoch_end(loop, epoch, step_metrics, scores, last=epoch == epochs[-1], seconds_since=start)
                finished = epoch, dataclasses.replace(loop, history=list(loop.history))
                if on_epoch is not None:  # its row is shown before a held Ctrl-C stops the run
                    on_epoch(record)
            interrupts.check()
            if loop.stopped:
                break
    except KeyboardInterrupt:
        interrupts.surfaced()
        raise _interrupted(epoch_end, *finished) from None


def _dispatch(compiled: Callable, train, scored: dict, epoch: int, state, chain_key):
    """Start ``epoch`` on the device: ``(state, chain_key, (step metrics, scores))``, not yet computed."""
    state, chain_key, step_metrics, scores = compiled(epoch)(state, chain_key, train, scored)
    return state, chain_key, (step_metrics, scores)


def _epoch_program(run_epoch, last_epoch, last: int, epoch: int):
    """The compiled function of ``epoch``: the cut-short last epoch's (``steps``), else the whole epoch's."""
    return last_epoch if last_epoch is not None and epoch == last else run_epoch


def _mesh(devices: int | None, batch_size: int):
    """The mesh that ``devices`` asks for (None: one device), with the batch checked to split over it."""
    if devices is None:
        return None
    mesh = parallel.batch_mesh(devices)
    parallel.check_batch_size("fit", batch_size, mesh)
    return mesh


def _compiled_epochs(objective, optimizer, batch_size: int, last_steps: int | None, **options):
    """The compiled scored epoch, the one of a last epoch cut to ``last_steps`` (None without), and the evaluation."""
    epoch_fn = functools.partial(make_train_epoch, objective, optimizer, batch_size=batch_size, **options)
    evaluate = make_eval_step(objective)
    last_epoch = make_scored_epoch(epoch_fn(steps=last_steps), evaluate) if last_steps else None
    return make_scored_epoch(epoch_fn(), evaluate), last_epoch, evaluate


def fit(objective, optimizer: optax.GradientTransformation, params, train: tuple, *, batch_size: int, key,
        epochs: int | None = None, steps: int | None = None, val: tuple | None = None, model_state=None,
        value_and_grad=autodiff, controls: Controls = Controls(), augment: Callable | None = None,
        shuffle: bool = True, monitor: bool = False, checkpoint_dir=None, checkpoint_every: int = 1, resume=None,
        run_config: dict | None = None, progress: bool = False,
        on_epoch: Callable[[dict], None] | None = None, devices: int | None = None,
        train_scores: bool = True) -> FitResult:
    """Train ``params`` for ``epochs`` epochs (or ``steps`` optimizer steps), each epoch one device call.

    Args:
        objective: an ``fnn.objective.Objective`` (any composed model and task).
        optimizer: any ``optax.GradientTransformation`` (``plateau`` needs one from
            ``fnn.optim.injectable`` without a schedule, whose learning rate it changes).
        params: initial parameters.
        train, val: ``(X, y)`` arrays; ``val`` is optional. batch_size: a positive int.
        key: PRNG key; each epoch splits its own key off it (shuffling, augmentation); a split seeds dropout.
        epochs, steps: the length of the run, exactly one of them. With ``steps`` the last
            epoch stops after the remaining steps (and compiles once more when cut short).
        model_state: the model's initial state (default: ``init``'s). value_and_grad: the gradient transform.
        controls: early stopping and plateau watch the validation loss (else the training loss);
            averaging is evaluated on ``val``; snapshots keep cycle ends (``fnn.optim.control``).
        augment: ``augment(key, X) -> X`` applied to every training minibatch (``fnn.data.augment``).
        shuffle: draw a new minibatch order every epoch (False: the data's order).
        monitor: record the mean global gradient norm (``grad_norm``, before clipping) and per-layer
            statistics each epoch (``fnn.monitor``; keys like ``grad_norm_1``).
        checkpoint_dir: write ``last.npz`` every ``checkpoint_every`` epochs (and after the last)
            and ``best.npz`` whenever the monitored loss is the lowest so far. Ctrl-C raises
            ``Interrupted`` (a KeyboardInterrupt) naming the last complete epoch, saved in ``last.npz``.
        resume: a checkpoint of this same run: continue after its epoch, bit-identical to a run never interrupted.
        run_config: JSON-able description stored in the checkpoints. progress: a progress bar.
        on_epoch: called with each epoch's record (e.g. to print a table row).
        devices: split every minibatch over this many devices (``fnn.parallel``; the
            batch size must divide evenly); None: one device.
        train_scores: score the training set after every epoch in evaluation mode (``train_accuracy``,
            ...), a forward pass of about a third of an epoch's FLOPs; a resumed run keeps its choice.
    Returns:
        A ``FitResult``; a history record has ``epoch``, ``train_loss`` (mean minibatch J), the
        task's metrics (``train_accuracy`` unless ``train_scores`` is False, ``val_loss``, ...),
        ``learning_rate`` with a plateau, ``averaged_val_*`` with averaging, ``seconds``, and
        the monitor's entries.
    """
    switches = {"shuffle": shuffle, "monitor": monitor, "progress": progress, "train_scores": train_scores}
    fit_checks.check_arguments(objective, optimizer, key, switches)
    batch_size = validate.integer("fit", "batch_size", batch_size)
    sets, model_state = fit_checks.data_and_state(objective, params, train, val, model_state)
    per_epoch = steps_per_epoch(sets["train"][0], batch_size)
    epochs, last_steps = fit_checks.epochs_and_last_steps(epochs, steps, per_epoch)
    mesh = _mesh(devices, batch_size)
    run_epoch, last_epoch, evaluate = _compiled_epochs(objective, optimizer, batch_size, last_steps, augment=augment,
                                                       value_and_grad=value_and_grad, monitor=monitor,
                                                       shuffle=shuffle, mesh=mesh)
    key, state_key = jax.random.split(key)
    loop = _start(init_state(params, optimizer, model_state=model_state, key=state_key), key, params, controls)
    loop, done = _resume(resume, loop, controls, per_epoch, train_scores) if resume is not None else (loop, 0)
    if mesh is not None:
        sets, loop.state, loop.key = parallel.replicate(mesh, (sets, loop.state, loop.key))
    epoch_end = _EpochEnd(evaluate, sets, controls, checkpoint_dir, checkpoint_every, run_config or {}, train_scores)
    compiled = functools.partial(_epoch_program, run_epoch, last_epoch, epochs)
    _run_epochs(loop, range(done + 1, epochs + 1), compiled, epoch_end, progress, on_epoch)
    return _result(loop, controls, epoch_end.monitored)
