r"""Pure training steps, whole epochs on the device, and the evaluation step.

A step is ``step(state, batch) -> (state, metrics)``: it evaluates the training-mode
objective and its gradient with a ``value_and_grad`` transform, then applies any
``optax.GradientTransformation``. The transform maps an objective to
``(params, model_state, batch, key) -> ((J, model_state), dJ/dparams)``: ``autodiff`` (the
default) is ``jax.value_and_grad`` of ``objective.train_loss``; the hand-derived
``reference.backprop.value_and_grad`` is a drop-in. An epoch is one jit call: the
minibatch order is a permutation drawn on the device from a key, and ``lax.scan`` runs
the steps. Whole runs of epochs are ``fnn.fit.fit``.

The builders return the same compiled function for equal arguments (the objective, the
optimizer's ``update``, the settings): ``jax.jit`` caches compilations per function object,
so a second ``fit`` of the same model and optimizer on the same shapes (a cross-validation
fold, a search trial) compiles nothing.

Epoch convention: with N samples and batch size B, an epoch takes floor(N / B) steps on
a fresh permutation, so up to B - 1 samples (different ones each epoch) sit out; every
step sees a full batch and the shapes stay static.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from fnn import monitor as fnn_monitor
from fnn import parallel
from fnn.data.batching import minibatch_indices
from fnn.optim.transforms import global_norm
from fnn.util.memo import get_or_build


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

    needs_key = False

    def train_loss(self, params, model_state, batch, key):
        return self.fn(params, batch), model_state


def as_objective(loss_fn):
    """``loss_fn`` if it has a training mode (``train_loss``), else a ``PlainLoss`` of it."""
    return loss_fn if hasattr(loss_fn, "train_loss") else PlainLoss(loss_fn)


def autodiff(objective):
    """``jax.value_and_grad`` of the training-mode objective, with the model state as auxiliary output."""
    return jax.value_and_grad(as_objective(objective).train_loss, has_aux=True)


_BUILT: dict = {}
"""(builder, arguments) -> the jitted function built for them."""


def _step_fn(loss_fn, update, value_and_grad, *, monitor: bool = False, grad_norm: bool = False):
    """The step with the optimizer's ``update`` (the only part of the optimizer a step uses)."""
    objective = as_objective(loss_fn)
    loss_and_grad = value_and_grad(objective)
    needs_key = getattr(objective, "needs_key", True)

    def step(state: TrainState, batch):
        # A model that draws no randomness keeps its key: no split on the hot path.
        key, step_key = jax.random.split(state.key) if needs_key else (state.key, state.key)
        (loss, model_state), grads = loss_and_grad(state.params, state.model_state, batch, step_key)
        updates, opt_state = update(grads, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)
        metrics_ = {"loss": loss}
        if grad_norm or monitor:
            metrics_["grad_norm"] = global_norm(grads)
        if monitor:
            mask = loss_fn.weight_mask(state.params)
            metrics_["layers"] = fnn_monitor.weight_statistics(grads, updates, state.params, mask)
        return TrainState(params, opt_state, state.step + 1, model_state, key), metrics_

    return step


def make_train_step(loss_fn: Callable, optimizer: optax.GradientTransformation, *, value_and_grad=autodiff,
                    grad_norm: bool = False):
    """Return the jit-compiled step ``step(state, batch) -> (state, {"loss": J[, "grad_norm": ||g||]})``.

    With ``grad_norm`` the metrics also hold the global norm of the gradient before the
    optimizer (and any clipping). It is off by default: a second reader of the gradient
    keeps XLA from fusing it into the update, which cost 14% of a digits-MLP epoch with Adam
    in ``scripts/bench_train_step.py`` (2026-11-23).

    Args:
        loss_fn: an ``fnn.objective.Objective``, or any ``J(params, batch) -> scalar``.
        optimizer: any ``optax.GradientTransformation``.
        value_and_grad: ``autodiff`` or ``reference.backprop.value_and_grad`` (see the module).
    """
    return get_or_build(_BUILT, (_jitted_step, loss_fn, optimizer.update, value_and_grad, grad_norm),
                 lambda: _jitted_step(loss_fn, optimizer.update, value_and_grad, grad_norm))


def _jitted_step(loss_fn, update, value_and_grad, grad_norm):
    return jax.jit(_step_fn(loss_fn, update, value_and_grad, grad_norm=grad_norm))


def make_train_epoch(
    loss_fn: Callable,
    optimizer: optax.GradientTransformation,
    *,
    batch_size: int,
    value_and_grad=autodiff,
    augment: Callable | None = None,
    monitor: bool = False,
    shuffle: bool = True,
    steps: int | None = None,
    grad_norm: bool = False,
    mesh=None,
):
    """Return the jit-compiled ``epoch(state, data, key) -> (state, metrics)``, one value per step.

    ``data = (X, y)`` stays on the device; ``key`` draws the permutation (``shuffle=False``:
    the minibatches in the data's order) and, with ``augment(key, X) -> X``
    (``fnn.data.augment``), a fresh augmentation of every minibatch; the metrics are
    stacked over the floor(N / batch_size) steps, or the first ``steps`` of them. With ``monitor``, the
    metrics also hold the per-step weight statistics (``"layers"``) and the activation
    statistics of the epoch's last minibatch (``"activations"``), see ``fnn.monitor``. With a
    ``mesh`` (``fnn.parallel.batch_mesh``) every minibatch is split over its devices (data
    parallelism; pass the state and data replicated, ``fnn.parallel.replicate``).
    """
    if monitor and not hasattr(loss_fn, "model"):
        raise ValueError("make_train_epoch: monitor needs an fnn.objective.Objective (its model's layers), "
                         f"got {type(loss_fn).__name__}")
    if mesh is not None:
        parallel.check_batch_size("make_train_epoch", batch_size, mesh)
    args = (loss_fn, optimizer.update, batch_size, value_and_grad, augment, monitor, shuffle, steps, grad_norm, mesh)
    return get_or_build(_BUILT, (_jitted_epoch, *args), lambda: _jitted_epoch(*args))


def _jitted_epoch(loss_fn, update, batch_size, value_and_grad, augment, monitor, shuffle, steps, grad_norm, mesh):
    return jax.jit(epoch_function(loss_fn, update, batch_size=batch_size, value_and_grad=value_and_grad,
                                  augment=augment, monitor=monitor, shuffle=shuffle, steps=steps, grad_norm=grad_norm,
                                  mesh=mesh))


def epoch_function(loss_fn, update, *, batch_size: int, value_and_grad=autodiff, augment=None, monitor: bool = False,
                   shuffle: bool = True, steps: int | None = None, grad_norm: bool = False, mesh=None):
    """The epoch of ``make_train_epoch`` (the same arguments, the optimizer's ``update`` in place of
    the optimizer) as a plain function, not compiled: for a caller that traces it inside its own
    program, e.g. with numbers of ``loss_fn`` that are tracers (``fnn.search.traced_numbers``)."""
    step = _step_fn(loss_fn, update, value_and_grad, monitor=monitor, grad_norm=grad_norm)

    def epoch(state: TrainState, data, key):
        X, y = data
        order_key, augment_key = jax.random.split(key)
        order = minibatch_indices(order_key, X.shape[0], batch_size, shuffle=shuffle)[:steps]

        def body(s, i_idx):
            i, idx = i_idx
            inputs, targets = parallel.constrain_batch(mesh, (X[idx], y[idx]))
            if augment is not None:
                inputs = augment(jax.random.fold_in(augment_key, i), inputs)
            return step(s, (inputs, targets))

        state, metrics_ = jax.lax.scan(body, state, (jnp.arange(order.shape[0]), order))
        if monitor:
            metrics_["activations"] = fnn_monitor.activation_statistics(loss_fn, state.params, state.model_state, X[order[-1]])
        return state, metrics_

    return epoch


def make_scored_epoch(epoch, evaluate):
    """``fit``'s one device call per epoch: ``epoch`` followed by ``evaluate`` on each scored set.

    Returns the jit-compiled ``run(state, chain_key, data, scored) -> (state, chain_key,
    step_metrics, scores)``: the epoch's key is split off ``chain_key`` (the chain goes on
    with the other half), ``epoch(state, data, key)`` trains, and ``scores[name]`` is
    ``evaluate(params, scored[name], model_state)`` of the new parameters. Everything the
    host needs between epochs then comes back in one transfer.
    """
    return get_or_build(_BUILT, (_jitted_scored_epoch, epoch, evaluate), lambda: _jitted_scored_epoch(epoch, evaluate))


def _jitted_scored_epoch(epoch, evaluate):
    return jax.jit(scored_epoch_function(epoch, evaluate))


def scored_epoch_function(epoch, evaluate):
    """The run of ``make_scored_epoch`` as a plain function (not compiled)."""
    def run(state: TrainState, chain_key, data, scored: dict):
        chain_key, epoch_key = jax.random.split(chain_key)
        state, metrics_ = epoch(state, data, epoch_key)
        scores = {name: evaluate(state.params, batch, state.model_state) for name, batch in scored.items()}
        return state, chain_key, metrics_, scores

    return run


def make_eval_step(objective):
    """Return jit-compiled ``evaluate(params, (X, y), model_state=()) -> {"loss", ...}``.

    The loss is J (the penalty included), then the task's metrics (accuracy for classifiers;
    MSE, RMSE, MAE, R^2 for regression). Evaluation mode: running batch-norm statistics
    from ``model_state``, no dropout.
    """
    return get_or_build(_BUILT, (_jitted_evaluate, objective), lambda: _jitted_evaluate(objective))


def _jitted_evaluate(objective):
    return jax.jit(evaluate_function(objective))


def evaluate_function(objective):
    """The evaluation of ``make_eval_step`` as a plain function (not compiled)."""
    def evaluate(params, batch, model_state=()):
        X, y = batch
        outputs = objective.outputs(params, X, model_state)
        loss = objective.data_loss(outputs, y) + objective.penalty_value(params)
        return {"loss": loss} | objective.task.metrics(outputs, y)

    return evaluate
