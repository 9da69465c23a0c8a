r"""Tasks: what the model's outputs mean, how labels are shaped, what is predicted and reported.

A task owns the loss on the outputs (logits for classification), the shaping of the
targets, the prediction rule and the evaluation metrics, so ``Objective`` needs no special
cases:

- ``Classification``: K output units, integer labels (N,) or one-hot rows (N, K);
  softmax cross-entropy or the multiclass hinge; prediction argmax; accuracy.
- ``Binary``: one output unit (the logit), labels 0/1 of shape (N,) or (N, 1); the binary
  log-loss; prediction [a > 0]; accuracy.
- ``Regression``: D output units, targets (N,) (one output) or (N, D); MSE, MAE or Huber;
  prediction = output; reports MSE, RMSE, MAE and R^2 (per-output means, as scikit-learn).
- ``PerStep``: classification at every step of a sequence (a language model's next token):
  outputs (N, T, K), labels (N, T); the loss and accuracy average over all N T steps, and
  the perplexity exp(cross-entropy) is reported.
- ``Reconstruction``: an autoencoder's task, a regression whose targets are the inputs
  (N, D) themselves; reports MSE and MAE over all values (no R^2: a pixel that is
  constant in the data, such as the digits' border, has no variance to explain).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from fnn import losses, metrics
from fnn.util import validate

CLASSIFICATION_LOSSES = ("softmax_cross_entropy", "multiclass_hinge")
REGRESSION_LOSSES = ("mse", "mae", "huber")


class _Classes:
    """What the class tasks share: accuracy of the predicted classes."""

    is_classifier = True
    main_metric = "accuracy"

    def rows(self, outputs):
        """The outputs as the loss takes them: one row per sample."""
        return outputs

    def metrics(self, outputs, y) -> dict:
        return {"accuracy": metrics.accuracy(self.labels(y), self.predict(outputs))}


@dataclasses.dataclass(frozen=True)
class Classification(_Classes):
    """K classes, one output unit per class."""

    loss: str = "softmax_cross_entropy"

    def __post_init__(self):
        validate.choice("Classification", "loss", self.loss, CLASSIFICATION_LOSSES)

    def output_units(self, num_classes: int) -> int:
        return num_classes

    def num_classes(self, output_units: int) -> int:
        return output_units

    def targets(self, y):
        return y

    def predict(self, outputs):
        return jnp.argmax(outputs, axis=-1)

    @property
    def probabilities(self) -> bool:
        """Whether ``class_scores`` are probabilities: softmax of the outputs the cross-entropy was fitted to."""
        return self.loss == "softmax_cross_entropy"

    def class_scores(self, outputs):
        """A score per class (N, K): p_k = softmax(a)_k for the cross-entropy; the outputs themselves
        for the hinge, whose scores are no probabilities."""
        return jax.nn.softmax(outputs, axis=-1) if self.probabilities else outputs

    def labels(self, y):
        """Integer labels (N,) from integer labels or one-hot rows (N, K)."""
        return jnp.argmax(y, axis=-1) if y.ndim == 2 else y


@dataclasses.dataclass(frozen=True)
class Binary(_Classes):
    """Two classes, one output unit: the logit a of P(y = 1) = sigmoid(a)."""

    loss: str = "binary_log_loss"

    def __post_init__(self):
        validate.choice("Binary", "loss", self.loss, ("binary_log_loss",))

    def output_units(self, num_classes: int) -> int:
        if num_classes != 2:
            raise ValueError(f"Binary: expected 2 classes, got {num_classes}; use Classification for more")
        return 1

    def num_classes(self, output_units: int) -> int:
        return 2

    def targets(self, y):
        """0/1 labels as the (N, 1) column the single output unit is compared with."""
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def predict(self, outputs):
        return (outputs > 0).astype(jnp.int32).reshape(outputs.shape[0])

    probabilities = True

    def class_scores(self, outputs):
        """(1 - p, p) per sample, p = sigmoid(a): the probabilities of classes 0 and 1."""
        p = jax.nn.sigmoid(outputs.reshape(outputs.shape[0]))
        return jnp.stack([1 - p, p], axis=-1)

    def labels(self, y):
        return y.reshape(y.shape[0])


@dataclasses.dataclass(frozen=True)
class Regression:
    """Real-valued targets, one output unit per target."""

    loss: str = "mse"
    is_classifier = False
    main_metric = "rmse"

    def rows(self, outputs):
        """The outputs as the loss takes them: one row per sample."""
        return outputs

    def __post_init__(self):
        validate.choice("Regression", "loss", self.loss, REGRESSION_LOSSES)

    def output_units(self, num_targets: int) -> int:
        return num_targets

    def targets(self, y):
        """Targets (N,) become the (N, 1) column of the single output unit."""
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def predict(self, outputs):
        return outputs

    def metrics(self, outputs, y) -> dict:
        y = self.targets(y).astype(outputs.dtype)
        return {"mse": metrics.mse(y, outputs), "rmse": metrics.rmse(y, outputs),
                "mae": metrics.mae(y, outputs), "r2": metrics.r2(y, outputs)}


@dataclasses.dataclass(frozen=True)
class PerStep(Classification):
    """K classes at every step: outputs (N, T, K), integer labels (N, T)."""

    main_metric = "perplexity"

    def rows(self, outputs):
        """(N, T, K) -> (N T, K): every step is one row of the loss."""
        return outputs.reshape(-1, outputs.shape[-1])

    def targets(self, y):
        return y.reshape(-1)

    def labels(self, y):
        return y

    def metrics(self, outputs, y) -> dict:
        cross_entropy = losses.softmax_cross_entropy(self.rows(outputs), self.targets(y))
        return {"accuracy": metrics.accuracy(y, self.predict(outputs)), "perplexity": jnp.exp(cross_entropy)}


@dataclasses.dataclass(frozen=True)
class Reconstruction(Regression):
    """Outputs that reconstruct the inputs: the targets are the input rows (N, D)."""

    main_metric = "mae"

    def metrics(self, outputs, y) -> dict:
        y = self.targets(y).astype(outputs.dtype)
        return {"mse": metrics.mse(y, outputs), "mae": metrics.mae(y, outputs)}


BY_LOSS = {name: Classification for name in CLASSIFICATION_LOSSES} | {"binary_log_loss": Binary} | {
    name: Regression for name in REGRESSION_LOSSES}


def for_loss(name: str):
    """The task a loss belongs to, e.g. ``for_loss("mse") == Regression("mse")``."""
    return validate.lookup("tasks.for_loss", "loss", name, BY_LOSS)(name)


def check_targets(where: str, task, y, output_units: int) -> None:
    """Check labels against the output layer when their values are known (class range, shapes)."""
    if task.is_classifier and np.issubdtype(y.dtype, np.integer):
        validate.labels(where, y, task.num_classes(output_units))
    if not task.is_classifier and task.targets(y).shape[1:] != (output_units,):
        raise ValueError(f"{where}: expected targets (N,) or (N, {output_units}) for {output_units} output units, "
                         f"got y.shape={y.shape}")
