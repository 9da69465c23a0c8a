r"""Pure training steps, whole epochs on the device, and ``fit``.

A step is ``step(state, batch) -> (state, metrics)``: it evaluates the training-mode
objective and its gradient with a ``value_and_grad`` transform, then applies any
``optax.GradientTransformation``. The transform maps an objective to
``(params, model_state, batch, key) -> ((J, model_state), dJ/dparams)``: ``autodiff`` (the
default) is ``jax.value_and_grad`` of ``objective.train_loss``; the hand-derived
``reference.models.mlp.value_and_grad`` is a drop-in. An epoch is one jit call: the
minibatch order is a permutation drawn on the device from a key, and ``lax.scan`` runs
the steps.

Epoch convention: with N samples and batch size B, an epoch takes floor(N / B) steps on
a fresh permutation, so up to B - 1 samples (different ones each epoch) sit out; every
step sees a full batch and the shapes stay static.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from tqdm.auto import tqdm

from fnn import checkpoint, metrics, validate
from fnn import monitor as fnn_monitor
from fnn.data.batching import minibatch_indices
from fnn.optim import control
from fnn.optim.injectable import learning_rate_of, with_learning_rate
from fnn.optim.transforms import global_norm


class TrainState(NamedTuple):
    """Everything a step changes: parameters, optimizer state, steps taken, model state, key.

    ``model_state`` holds what the model carries besides parameters (running batch-norm
    statistics); ``key`` is split at every step for dropout.
    """

    params: Any
    opt_state: optax.OptState
    step: jax.Array
    model_state: Any = ()
    key: Any = None


def init_state(params, optimizer: optax.GradientTransformation, *, model_state=(), key=None) -> TrainState:
    """Start a training run from ``params`` (``key`` defaults to ``jax.random.key(0)``)."""
    key = jax.random.key(0) if key is None else key
    return TrainState(params, optimizer.init(params), jnp.zeros((), jnp.int32), model_state, key)


@dataclasses.dataclass(frozen=True)
class PlainLoss:
    """A plain ``J(params, batch)`` seen as an objective without model state or randomness."""

    fn: Callable

    def __call__(self, params, batch, model_state=None):
        return self.fn(params, batch)

    def train_loss(self, params, model_state, batch, key):
        return self.fn(params, batch), model_state


def as_objective(loss_fn):
    """``loss_fn`` if it has a training mode (``train_loss``), else a ``PlainLoss`` of it."""
    return loss_fn if hasattr(loss_fn, "train_loss") else PlainLoss(loss_fn)


def autodiff(objective):
    """``jax.value_and_grad`` of the training-mode objective, with the model state as auxiliary output."""
    return jax.value_and_grad(as_objective(objective).train_loss, has_aux=True)


def _step_fn(loss_fn, optimizer, value_and_grad, monitor: bool = False):
    loss_and_grad = value_and_grad(as_objective(loss_fn))

    def step(state: TrainState, batch):
        key, step_key = jax.random.split(state.key)
        (loss, model_state), grads = loss_and_grad(state.params, state.model_state, batch, step_key)
        updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)
        metrics_ = {"loss": loss, "grad_norm": global_norm(grads)}
        if monitor:
            metrics_["layers"] = fnn_monitor.weight_statistics(grads, updates, state.params)
        return TrainState(params, opt_state, state.step + 1, model_state, key), metrics_

    return step


def make_train_step(loss_fn: Callable, optimizer: optax.GradientTransformation, *, value_and_grad=autodiff):
    """Return the jit-compiled step ``step(state, batch) -> (state, {"loss": J, "grad_norm": ||g||})``.

    ``grad_norm`` is the global norm of the gradient before the optimizer (and any clipping).

    Args:
        loss_fn: an ``fnn.objective.Objective``, or any ``J(params, batch) -> scalar``.
        optimizer: any ``optax.GradientTransformation``.
        value_and_grad: ``autodiff`` or ``reference.models.mlp.value_and_grad`` (see the module).
    """
    return jax.jit(_step_fn(loss_fn, optimizer, value_and_grad))


def make_train_epoch(
    loss_fn: Callable,
    optimizer: optax.GradientTransformation,
    *,
    batch_size: int,
    value_and_grad=autodiff,
    augment: Callable | None = None,
    monitor: bool = False,
):
    """Return the jit-compiled ``epoch(state, data, key) -> (state, metrics)``, one value per step.

    ``data = (X, y)`` stays on the device; ``key`` draws the permutation and, with
    ``augment(key, X) -> X`` (``fnn.data.augment``), a fresh augmentation of every minibatch;
    the metrics are stacked over the floor(N / batch_size) steps. With ``monitor``, the
    metrics also hold the per-step weight statistics (``"layers"``) and the activation
    statistics of the epoch's last minibatch (``"activations"``), see ``fnn.monitor``.
    """
    if monitor and not hasattr(loss_fn, "model"):
        raise ValueError("make_train_epoch: monitor needs an fnn.objective.Objective (its model's layers), "
                         f"got {type(loss_fn).__name__}")
    step = _step_fn(loss_fn, optimizer, value_and_grad, monitor)

    def epoch(state: TrainState, data, key):
        X, y = data
        order_key, augment_key = jax.random.split(key)
        order = minibatch_indices(order_key, X.shape[0], batch_size)

        def body(s, i_idx):
            i, idx = i_idx
            inputs = X[idx] if augment is None else augment(jax.random.fold_in(augment_key, i), X[idx])
            return step(s, (inputs, y[idx]))

        state, metrics_ = jax.lax.scan(body, state, (jnp.arange(order.shape[0]), order))
        if monitor:
            metrics_["activations"] = fnn_monitor.activation_statistics(loss_fn, state.params, state.model_state, X[order[-1]])
        return state, metrics_

    return jax.jit(epoch)


def make_eval_step(objective):
    """Return jit-compiled ``evaluate(params, (X, y), model_state=None) -> {"loss", ["accuracy"]}``.

    Evaluation mode: running batch-norm statistics from ``model_state``, no dropout.
    """

    def evaluate(params, batch, model_state=None):
        X, y = batch
        out = {"loss": objective(params, batch, model_state)}
        if objective.is_classifier:
            out["accuracy"] = metrics.accuracy(objective.class_labels(y), objective.predict(params, X, model_state))
        return out

    return jax.jit(evaluate)


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


def _check_data(objective, params, model_state, sets):
    for name, (X, y) in sets.items():
        if X.shape[0] != y.shape[0]:
            raise ValueError(f"fit: expected as many {name} labels as samples, got X {X.shape} and y {y.shape}")
        if objective.is_classifier and np.issubdtype(y.dtype, np.integer):
            validate.labels(f"fit ({name} set)", y, objective.num_classes)
        jax.eval_shape(objective, params, (X, y), model_state)  # shape errors now, naming the whole set


def fit(
    objective,
    optimizer: optax.GradientTransformation,
    params,
    train: tuple,
    *,
    epochs: int,
    batch_size: int,
    key,
    val: tuple | None = None,
    value_and_grad=autodiff,
    early_stopping: control.EarlyStopping | None = None,
    plateau: control.ReduceOnPlateau | None = None,
    averaging: control.Averaging | None = None,
    snapshots: control.SnapshotEnsemble | None = None,
    augment: Callable | None = None,
    monitor: bool = False,
    checkpoint_dir=None,
    checkpoint_every: int = 1,
    resume=None,
    run_config: dict | None = None,
    progress: bool = False,
    on_epoch: Callable[[dict], None] | None = None,
) -> FitResult:
    """Train ``params`` for up to ``epochs`` epochs, each one device call.

    Args:
        objective: an ``fnn.objective.Objective``.
        optimizer: any ``optax.GradientTransformation`` (``plateau`` needs one from
            ``fnn.optim.injectable`` without a schedule, whose learning rate it changes).
        params: initial parameters.
        train, val: ``(X, y)`` arrays; ``val`` is optional.
        epochs, batch_size: positive ints.
        key: PRNG key; epoch e shuffles with the e-th split of it; a split of it seeds dropout.
        value_and_grad: the gradient transform (automatic by default).
        early_stopping, plateau: watch the validation loss (the training loss without ``val``).
        averaging: average the end-of-epoch parameters; evaluated on ``val`` each epoch.
        snapshots: keep parameters at cycle ends (see ``fnn.optim.control``).
        augment: ``augment(key, X) -> X`` applied to every training minibatch (``fnn.data.augment``).
        monitor: record per-layer statistics each epoch (``fnn.monitor``; keys like ``grad_norm_1``).
        checkpoint_dir: write ``last.npz`` every ``checkpoint_every`` epochs (and after the
            last) and ``best.npz`` whenever the monitored loss is the lowest so far.
        resume: path of a checkpoint of this same run: continue after its epoch, up to
            ``epochs``; the result is bit-identical to a run never interrupted.
        run_config: JSON-able description stored in the checkpoints.
        progress: show a progress bar over epochs.
        on_epoch: called with each epoch's record (e.g. to print a table row).
    Returns:
        A ``FitResult``. Each history record has ``epoch``, ``train_loss`` (mean minibatch
        objective), ``grad_norm`` (mean global gradient norm before any clipping),
        ``train_accuracy``, ``val_loss``, ``val_accuracy`` (accuracies for classifiers,
        val entries with ``val``), ``learning_rate`` with ``plateau``,
        ``averaged_val_loss`` and ``averaged_val_accuracy`` with ``averaging`` and ``val``,
        and ``seconds``.
    """
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"fit: expected epochs to be a positive int, got {epochs!r}")
    sets = {"train": train} if val is None else {"train": train, "val": val}
    sets = {name: (jnp.asarray(X), jnp.asarray(y)) for name, (X, y) in sets.items()}
    model_state = objective.init_state(dtype=jax.tree.leaves(params)[0].dtype)
    _check_data(objective, params, model_state, sets)
    monitored = "val_loss" if val is not None else "train_loss"

    run_epoch = make_train_epoch(objective, optimizer, batch_size=batch_size, value_and_grad=value_and_grad,
                                 augment=augment, monitor=monitor)
    evaluate = make_eval_step(objective)
    key, state_key = jax.random.split(key)
    state = init_state(params, optimizer, model_state=model_state, key=state_key)
    stopping = early_stopping.init() if early_stopping else None
    plateau_state = plateau.init(float(learning_rate_of(state.opt_state))) if plateau else None
    average = averaging.init(params) if averaging else None
    kept, best_params, history, done = (), params, [], 0
    if resume is not None:
        if averaging or snapshots:
            raise ValueError("fit: resuming a run with averaging or snapshots is not supported; they are not checkpointed")
        saved = checkpoint.load_checkpoint(resume, {"state": state, "loop_key": key, "best_params": params})
        state, key, best_params = saved.tree["state"], saved.tree["loop_key"], saved.tree["best_params"]
        history, done = list(saved.history), saved.epoch
        for name, wanted in (("early_stopping", early_stopping), ("plateau", plateau)):
            if (saved.controls[name] is None) != (wanted is None):
                raise ValueError(f"fit: {resume} was saved {'without' if wanted else 'with'} {name}; "
                                 "resume with the controls of the interrupted run")
        stopping = control.EarlyStoppingState(*saved.controls["early_stopping"]) if early_stopping else None
        plateau_state = control.PlateauState(*saved.controls["plateau"]) if plateau else None

    def save(name, epoch):
        controls = {"early_stopping": list(stopping) if stopping else None,
                    "plateau": list(plateau_state) if plateau_state else None}
        tree = {"state": state, "loop_key": key, "best_params": best_params}
        checkpoint.save_checkpoint(Path(checkpoint_dir) / name,
                                   checkpoint.Checkpoint(tree, epoch, history, controls, run_config or {}))

    bar = tqdm(range(done + 1, epochs + 1), desc="epochs", unit="epoch", disable=not progress, leave=False)
    for epoch in bar:
        key, epoch_key = jax.random.split(key)
        start = time.perf_counter()
        state, step_metrics = run_epoch(state, sets["train"], epoch_key)
        record = {"epoch": epoch, "train_loss": float(jnp.mean(step_metrics["loss"])),
                  "grad_norm": float(jnp.mean(step_metrics["grad_norm"]))}
        if monitor:
            record |= fnn_monitor.records(fnn_monitor.mean_over_steps(step_metrics["layers"]))
            record |= fnn_monitor.records(step_metrics["activations"])
        for name, data in sets.items():
            for metric, value in evaluate(state.params, data, state.model_state).items():
                if name == "train" and metric == "loss":
                    continue
                record[f"{name}_{metric}"] = float(value)
        if averaging:
            average = averaging.update(average, state.params)
            if val is not None:
                for metric, value in evaluate(averaging.value(average), sets["val"], state.model_state).items():
                    record[f"averaged_val_{metric}"] = float(value)
        if snapshots:
            kept = snapshots.update(kept, epoch, state.params)
        if plateau:
            record["learning_rate"] = plateau_state.learning_rate
            plateau_state = plateau.update(plateau_state, record[monitored])
            state = state._replace(opt_state=with_learning_rate(state.opt_state, plateau_state.learning_rate))
        if early_stopping:
            stopping = early_stopping.update(stopping, epoch, record[monitored])
            if stopping.best_epoch == epoch:
                best_params = state.params
        record["seconds"] = time.perf_counter() - start
        history.append(record)
        if checkpoint_dir is not None:
            if epoch % checkpoint_every == 0 or epoch == epochs or (stopping is not None and stopping.stop):
                save("last.npz", epoch)
            if record[monitored] <= min(r[monitored] for r in history):
                save("best.npz", epoch)
        if on_epoch is not None:
            on_epoch(record)
        if stopping is not None and stopping.stop:
            break
    bar.close()
    best_epoch = min(history, key=lambda r: r[monitored])["epoch"]
    if early_stopping and early_stopping.restore_best:
        state = state._replace(params=best_params)
    return FitResult(state, history, averaging.value(average) if averaging else None, kept, best_epoch)
