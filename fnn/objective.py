r"""The training objective: a data loss on the model's logits plus a weight penalty.

Math:
    J(theta) = L(f(X; theta), y) + lambda R(W),  R from ``fnn.regularizers`` (weights only).

An ``Objective`` is a frozen, hashable description, callable as ``J(params, batch)``. It is
what ``fnn.train`` differentiates, and what ``reference.models.mlp.value_and_grad`` reads
to run the lecture's hand-derived backprop in place of ``jax.value_and_grad``.
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

    def logits(self, params, X):
        """The model's outputs before any output nonlinearity."""
        return mlp.apply(params, X, config=self.model)

    def predict(self, params, X):
        """Class predictions: argmax over outputs, or logit > 0 for the binary log-loss."""
        z = self.logits(params, X)
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

    def __call__(self, params, batch):
        """J(params) on one batch ``(X, y)``."""
        X, y = batch
        return losses.get(self.loss)(self.logits(params, X), self.targets(y)) + self.penalty(params)
