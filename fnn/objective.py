r"""The training objective: a data loss on the model's logits plus a weight penalty.

Math:
    J(theta) = L(f(X; theta), y) + lambda R(W),  R from ``fnn.regularizers`` (weights only).

An ``Objective`` is a frozen, hashable description. ``objective(params, batch)`` is J in
evaluation mode (running batch-norm statistics, no dropout);
``objective.train_loss(params, model_state, batch, key)`` is J in training mode and also
returns the updated model state. ``fnn.train`` differentiates the latter, and
``reference.models.mlp.value_and_grad`` reads the description to run the lecture's
hand-derived backprop instead.
"""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp

from fnn import losses, regularizers, validate
from fnn.models import mlp


@dataclasses.dataclass(frozen=True)
class Objective:
    """Loss and penalty of an MLP.

    Attributes:
        model: the MLP architecture.
        loss: a name from ``fnn.losses.BY_NAME``.
        regularizer: None or a name from ``fnn.regularizers.BY_NAME``.
        strength: lambda, the weight of the penalty (>= 0).
        beta: the elastic net's weight on the squared term (ignored by l1 and l2).
    """

    model: mlp.MLPConfig
    loss: str = "softmax_cross_entropy"
    regularizer: str | None = None
    strength: float = 0.0
    beta: float = 1.0

    def __post_init__(self):
        losses.get(self.loss)
        if self.regularizer is not None:
            regularizers.get(self.regularizer)
        validate.number_in("Objective", "strength", self.strength, 0.0)
        validate.number_in("Objective", "beta", self.beta, 0.0)

    @property
    def is_classifier(self) -> bool:
        """True when predictions are classes (argmax of the logits, or a > 0 for binary)."""
        return self.loss in losses.CLASSIFICATION or self.loss == "binary_log_loss"

    @property
    def num_classes(self) -> int:
        """Number of classes the labels may take (2 for the binary log-loss)."""
        return 2 if self.loss == "binary_log_loss" else self.model.sizes[-1]

    def init_state(self, *, dtype=jnp.float32) -> mlp.MLPState:
        """The model's initial state (running batch-norm statistics; empty without batch norm)."""
        return mlp.init_state(self.model, dtype=dtype)

    def logits(self, params, X, model_state=None):
        """The model's outputs before any output nonlinearity, in evaluation mode."""
        return mlp.apply(params, X, config=self.model, state=model_state)

    def predict(self, params, X, model_state=None):
        """Class predictions: argmax over outputs, or logit > 0 for the binary log-loss."""
        z = self.logits(params, X, model_state)
        if self.loss == "binary_log_loss":
            return (z > 0).astype(jnp.int32).reshape(z.shape[0], *z.shape[2:])
        return jnp.argmax(z, axis=-1)

    def class_labels(self, y):
        """Integer labels (N,) from integer labels, (N, 1) binary labels or one-hot rows (N, K)."""
        if y.ndim == 2 and y.shape[1] > 1:
            return jnp.argmax(y, axis=-1)
        return y.reshape(y.shape[0])

    def penalty(self, params):
        """lambda R(W), zero when no regularizer is set."""
        if self.regularizer is None:
            return jnp.zeros((), params.dense[0].W.dtype)
        if self.regularizer == "elastic_net":
            return self.strength * regularizers.elastic_net(params, beta=self.beta)
        return self.strength * regularizers.get(self.regularizer)(params)

    def targets(self, y):
        """Labels shaped for the loss: (N,) 0/1 labels become (N, 1) for the binary log-loss."""
        if self.loss == "binary_log_loss" and y.ndim == 1:
            return y.reshape(-1, 1)
        return y

    def data_loss(self, logits, y):
        """L(logits, y), the loss term alone."""
        return losses.get(self.loss)(logits, self.targets(y))

    def __call__(self, params, batch, model_state=None):
        """J(params) on one batch ``(X, y)`` in evaluation mode."""
        X, y = batch
        return self.data_loss(self.logits(params, X, model_state), y) + self.penalty(params)

    def train_loss(self, params, model_state, batch, key):
        """J(params) on one batch in training mode; returns ``(J, updated model state)``."""
        X, y = batch
        logits, model_state = mlp.forward(params, model_state, X, config=self.model, train=True, key=key)
        return self.data_loss(logits, y) + self.penalty(params), model_state
