r"""Training control between epochs, on the host: early stopping, plateaus, averaging, snapshots.

Each control is a frozen config with ``init`` and ``update`` returning a new NamedTuple
state (nothing is mutated). ``fnn.fit.fit`` calls them after every epoch; they change
only values that the jitted epoch takes as inputs (parameters, the injected learning
rate), so none of them recompiles it.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from fnn import activations
from fnn.util import validate


class EarlyStoppingState(NamedTuple):
    best: float
    best_epoch: int
    patience: float
    stop: bool


@dataclasses.dataclass(frozen=True)
class EarlyStopping:
    r"""The lecture's patience algorithm (Bengio 2012; the deeplearning.net tutorials).

    Math (epochs e = 1, 2, ...; L the monitored validation loss):
        if L < best:
            if L < improvement_threshold * best:  patience = max(patience, patience_increase * e)
            best = L;  best_epoch = e
        stop when e >= patience
    With ``restore_best`` the run ends with the parameters of ``best_epoch``.
    """

    patience: int = 10
    patience_increase: float = 2.0
    improvement_threshold: float = 0.995
    restore_best: bool = True

    def __post_init__(self):
        validate.number_in("EarlyStopping", "patience", self.patience, 1)
        validate.number_in("EarlyStopping", "patience_increase", self.patience_increase, 1.0)
        validate.number_in("EarlyStopping", "improvement_threshold", self.improvement_threshold, 0.0, 1.0, low_open=True)

    def init(self) -> EarlyStoppingState:
        return EarlyStoppingState(math.inf, 0, float(self.patience), False)

    def update(self, state: EarlyStoppingState, epoch: int, loss: float) -> EarlyStoppingState:
        best, best_epoch, patience = state.best, state.best_epoch, state.patience
        if loss < best:
            if loss < self.improvement_threshold * best:
                patience = max(patience, self.patience_increase * epoch)
            best, best_epoch = loss, epoch
        return EarlyStoppingState(best, best_epoch, patience, epoch >= patience)


class PlateauState(NamedTuple):
    best: float
    bad_epochs: int
    cooldown_left: int
    learning_rate: float


@dataclasses.dataclass(frozen=True)
class ReduceOnPlateau:
    r"""Cut the learning rate when the monitored loss stops improving (PyTorch's semantics).

    Math (per epoch, loss L):
        improved = L < best (1 - threshold);  if improved: best = L, bad = 0  else bad += 1
        in cooldown: cooldown -= 1, bad = 0
        if bad > patience:  lr = max(factor lr, min_lr);  cooldown = cooldown_epochs;  bad = 0
    """

    factor: float = 0.1
    patience: int = 10
    threshold: float = 1e-4
    cooldown: int = 0
    min_lr: float = 0.0

    def __post_init__(self):
        validate.number_in("ReduceOnPlateau", "factor", self.factor, 0.0, 1.0, low_open=True, high_open=True)
        validate.number_in("ReduceOnPlateau", "patience", self.patience, 0)
        validate.number_in("ReduceOnPlateau", "threshold", self.threshold, 0.0, 1.0, high_open=True)
        validate.number_in("ReduceOnPlateau", "cooldown", self.cooldown, 0)
        validate.number_in("ReduceOnPlateau", "min_lr", self.min_lr, 0.0)

    def init(self, learning_rate: float) -> PlateauState:
        return PlateauState(math.inf, 0, 0, float(learning_rate))

    def update(self, state: PlateauState, loss: float) -> PlateauState:
        best, bad, cooldown_left, lr = state
        if loss < best * (1 - self.threshold):
            best, bad = loss, 0
        else:
            bad += 1
        if cooldown_left > 0:
            cooldown_left, bad = cooldown_left - 1, 0
        if bad > self.patience:
            lr, cooldown_left, bad = max(lr * self.factor, self.min_lr), self.cooldown, 0
        return PlateauState(best, bad, cooldown_left, lr)


class AverageState(NamedTuple):
    """The running average (for EMA: not yet bias-corrected) and the number of iterates."""

    average: Any
    count: int


AVERAGING_KINDS = ("polyak", "ema")


@dataclasses.dataclass(frozen=True)
class Averaging:
    r"""Averages of the parameter iterates theta_1..theta_n (here: one per epoch).

    Math:
        polyak:  avg_n = avg_{n-1} + (theta_n - avg_{n-1}) / n = (1/n) sum_k theta_k
        ema:     e_n = decay e_{n-1} + (1 - decay) theta_n, e_0 = 0;  value e_n / (1 - decay^n)
    """

    kind: str = "polyak"
    decay: float = 0.9

    def __post_init__(self):
        validate.choice("Averaging", "kind", self.kind, AVERAGING_KINDS)
        validate.number_in("Averaging", "decay", self.decay, 0.0, 1.0, high_open=True)

    def init(self, params) -> AverageState:
        return AverageState(jax.tree.map(jnp.zeros_like, params), 0)

    def update(self, state: AverageState, params) -> AverageState:
        n = state.count + 1
        if self.kind == "polyak":
            average = jax.tree.map(lambda a, p: a + (p - a) / n, state.average, params)
        else:
            average = jax.tree.map(lambda a, p: self.decay * a + (1 - self.decay) * p, state.average, params)
        return AverageState(average, n)

    def value(self, state: AverageState):
        """The averaged parameters (bias-corrected for EMA)."""
        if state.count == 0:
            raise ValueError("Averaging.value: expected at least one update, got none")
        if self.kind == "polyak":
            return state.average
        return jax.tree.map(lambda a: a / (1 - self.decay**state.count), state.average)


@dataclasses.dataclass(frozen=True)
class SnapshotEnsemble:
    r"""Keep the parameters at the end of each cycle; predict with the last ``keep`` of them.

    Math:
        p(y | x) = (1/m) sum_{i=1..m} softmax(f(x; theta_i)), theta_i the last m snapshots.
    Reference:
        Huang et al., "Snapshot ensembles: train 1, get M for free", ICLR 2017; pair with
        ``schedules.cosine_restarts`` whose cycles last ``cycle_epochs`` epochs.
    """

    cycle_epochs: int
    keep: int

    def __post_init__(self):
        validate.number_in("SnapshotEnsemble", "cycle_epochs", self.cycle_epochs, 1)
        validate.number_in("SnapshotEnsemble", "keep", self.keep, 1)

    def update(self, snapshots: tuple, epoch: int, params) -> tuple:
        """Append ``params`` when ``epoch`` ends a cycle; keep the last ``keep``."""
        if epoch % self.cycle_epochs:
            return snapshots
        return (*snapshots, params)[-self.keep:]


def ensemble_probabilities(logits_fn, snapshots, X):
    """Mean of softmax(logits_fn(theta, X)) over the snapshots theta."""
    if not snapshots:
        raise ValueError("ensemble_probabilities: expected at least one snapshot, got none")
    return sum(activations.softmax(logits_fn(theta, X)) for theta in snapshots) / len(snapshots)
