"""Evaluation metrics as pure jnp functions (jit-compatible)."""

from __future__ import annotations

import jax.numpy as jnp


def accuracy(predictions, labels):
    """Fraction of samples whose predicted class equals the label, (1/N) sum [yhat_n = y_n]."""
    if predictions.shape != labels.shape:
        raise ValueError(
            f"accuracy: expected predictions and labels of the same shape, got "
            f"{predictions.shape} and {labels.shape}"
        )
    return jnp.mean(predictions == labels.astype(predictions.dtype))
