r"""The training objective: the task's loss on the model's outputs plus a weight penalty.

Math:
    J(theta) = L(f(X; theta), y) + lambda R(W),  R over the weights the model declares.

An ``Objective(model, task, penalty)`` is a frozen, hashable description: ``model`` any
composition of ``fnn.layers``, ``task`` from ``fnn.tasks``, ``penalty`` an
``fnn.regularizers.Penalty`` or None. ``objective(params, batch, model_state)`` is J in
evaluation mode (running batch-norm statistics, no dropout);
``objective.train_loss(params, model_state, batch, key)`` is J in training mode and also
returns the updated model state. ``fnn.train`` differentiates the latter;
``reference.backprop.value_and_grad`` reads the description to run the lecture's
hand-derived backprop instead. A model without state takes ``()`` as ``model_state``.

Mixed precision: with ``compute_dtype`` (e.g. ``jnp.bfloat16``) the forward pass runs on
copies of the parameters and inputs cast to it, while the parameters (the master copy,
float32), the optimizer and the model state stay in their own dtype (batch norm normalises
with its running statistics cast to the activations' dtype and updates them in theirs). The outputs are cast back
before the loss, so the loss, its softmax and the penalty are computed in float32, and
the gradient reaches the master copy through the casts' transpose, in float32:
    dJ/dtheta = cast_f32( dJ/dtheta_bf16 ),   theta_bf16 = cast_bf16(theta).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp

from fnn import losses, tasks
from fnn.layers.base import check_layer, needs_key
from fnn.regularizers import Penalty


@dataclasses.dataclass(frozen=True)
class Objective:
    """Loss and penalty of a model.

    Attributes:
        model: a layer spec (e.g. ``fnn.models.mlp.mlp(...)``).
        task: ``fnn.tasks.Classification()`` (default), ``Binary()`` or ``Regression(loss)``.
        penalty: None or ``fnn.regularizers.Penalty(name, strength, beta)``.
        compute_dtype: None, or the floating dtype of the forward pass (mixed precision).
    """

    model: Any
    task: Any = tasks.Classification()
    penalty: Penalty | None = None
    compute_dtype: Any = None

    def __post_init__(self):
        check_layer("Objective", self.model)
        if not isinstance(self.task, tuple(set(tasks.BY_LOSS.values()))):
            raise TypeError(f"Objective: expected a task from fnn.tasks, got {type(self.task).__name__}")
        if self.penalty is not None and not isinstance(self.penalty, Penalty):
            raise TypeError(f"Objective: expected penalty to be an fnn.regularizers.Penalty or None, "
                            f"got {type(self.penalty).__name__}")
        if self.compute_dtype is not None and not jnp.issubdtype(self.compute_dtype, jnp.floating):
            raise TypeError(f"Objective: expected compute_dtype to be None or a floating dtype, got {self.compute_dtype!r}")

    @property
    def is_classifier(self) -> bool:
        return self.task.is_classifier

    @property
    def needs_key(self) -> bool:
        """Whether training mode draws randomness (a layer that is not declared deterministic)."""
        return needs_key(self.model)

    def _apply(self, params, model_state, X, *, train, key=None):
        """The model's forward pass, in ``compute_dtype`` when set; the outputs in the parameters' dtype."""
        if self.compute_dtype is None:
            return self.model.apply(params, model_state, X, train=train, key=key)
        cast = _floats_to(self.compute_dtype)
        outputs, model_state = self.model.apply(cast(params), model_state, cast(X), train=train, key=key)
        return outputs.astype(jax.tree.leaves(params)[0].dtype), model_state

    def outputs(self, params, X, model_state=()):
        """The model's outputs (logits for classifiers) in evaluation mode."""
        return self._apply(params, model_state, X, train=False)[0]

    def predict(self, params, X, model_state=()):
        """The task's predictions: classes, or values for regression."""
        return self.task.predict(self.outputs(params, X, model_state))

    def weight_mask(self, params):
        """True at the leaves the model declares as weights."""
        return self.model.weight_mask(params)

    def penalty_value(self, params):
        """lambda R(W), zero without a penalty."""
        if self.penalty is None:
            return jnp.zeros((), jax.tree.leaves(params)[0].dtype)
        return self.penalty(params, self.weight_mask(params))

    def data_loss(self, outputs, y):
        """L(outputs, y), the loss term alone."""
        return losses.get(self.task.loss)(self.task.rows(outputs), self.task.targets(y))

    def __call__(self, params, batch, model_state=()):
        """J(params) on one batch ``(X, y)`` in evaluation mode."""
        X, y = batch
        return self.data_loss(self.outputs(params, X, model_state), y) + self.penalty_value(params)

    def train_loss(self, params, model_state, batch, key):
        """J(params) on one batch in training mode; returns ``(J, updated model state)``."""
        X, y = batch
        outputs, model_state = self._apply(params, model_state, X, train=True, key=key)
        return self.data_loss(outputs, y) + self.penalty_value(params), model_state


def _floats_to(dtype):
    """A function casting every floating array of a tree to ``dtype`` (integers, e.g. token ids, stay)."""
    def cast(tree):
        return jax.tree.map(lambda a: a.astype(dtype) if jnp.issubdtype(a.dtype, jnp.floating) else a, tree)
    return cast

