r"""Pictures of what a convolutional model learned: its first layer's filters, one example's
feature maps, and an autoencoder's reconstructions beside its inputs.

``first_feature_maps`` runs a model up to the activation after its first convolution
(A_1 = g(X * W_1 + b_1)); ``plot_filters`` draws W_1 one output channel per panel (an
image for 2-D kernels of one input channel, a line for 1-D kernels) and
``plot_feature_maps`` draws the example beside its maps, one channel per panel;
``plot_reconstructions`` draws inputs over their reconstructions, one column per example.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from fnn.layers import Activation, Conv, Sequential
from fnn.plots import figures


def first_conv(model) -> int:
    """The index in ``model.layers`` of the first convolution (a ValueError if there is none)."""
    for i, layer in enumerate(getattr(model, "layers", ())):
        if isinstance(layer, Conv):
            return i
    raise ValueError(f"filters: expected a Sequential with a Conv layer, got {type(model).__name__}")


def first_feature_maps(model, params, model_state, x):
    """A_1 of one example ``x`` (a flat row or a sample), shape (spatial..., C_out)."""
    end = first_conv(model) + 1
    if end < len(model.layers) and isinstance(model.layers[end], Activation):
        end += 1
    prefix = Sequential(*model.layers[:end])
    states = model_state[:end] if model_state != () else ()
    return np.asarray(prefix.apply(tuple(params[:end]), states, np.asarray(x)[None], train=False)[0][0])


def _grid(count: int):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = min(count, 8)
    rows = math.ceil(count / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(1.5 * columns, 1.5 * rows + 0.5), squeeze=False)
    for ax in axes.ravel()[count:]:
        ax.axis("off")
    return fig, axes.ravel()


def _draw(ax, values, title: str) -> None:
    if values.ndim == 2:
        ax.imshow(values, cmap="gray")
        ax.set_xticks([])
        ax.set_yticks([])
    else:
        ax.plot(values)
        ax.set_yticks([])
    ax.set_title(title, fontsize=7)


def plot_filters(model, params, path, *, title: str = "") -> Path:
    """The first convolution's kernels W_1[..., 0, c], one panel per output channel c."""
    W = np.asarray(params[first_conv(model)].W)
    fig, axes = _grid(W.shape[-1])
    for c, ax in zip(range(W.shape[-1]), axes):
        _draw(ax, W[..., 0, c], f"filter {c + 1}")
    fig.suptitle(title or f"first-layer filters ({'x'.join(map(str, W.shape[:-2]))}, input channel 1)")
    fig.tight_layout()
    return figures.save(fig, path, dpi=100)


def plot_feature_maps(model, params, model_state, x, image_shape, path, *, title: str = "") -> Path:
    """An example (reshaped to ``image_shape``) and its first-layer feature maps A_1[..., c]."""
    maps = first_feature_maps(model, params, model_state, x)
    fig, axes = _grid(maps.shape[-1] + 1)
    _draw(axes[0], np.asarray(x).reshape(image_shape)[..., 0], "input")
    for c, ax in zip(range(maps.shape[-1]), axes[1:]):
        _draw(ax, maps[..., c], f"map {c + 1}")
    fig.suptitle(title or "one example and its first-layer feature maps")
    fig.tight_layout()
    return figures.save(fig, path, dpi=100)


def plot_reconstructions(X, reconstructions, image_shape, path, *, title: str = "") -> Path:
    """Inputs (top row) over their reconstructions (bottom row), each row reshaped to ``image_shape``
    (images drawn in gray on the inputs' scale, 1-D samples as two lines in one panel)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X, reconstructions = np.asarray(X), np.asarray(reconstructions)
    images = len(image_shape) == 3
    count = len(X)
    fig, axes = plt.subplots(2 if images else 1, count, figsize=(1.3 * count, 2.9 if images else 1.8), squeeze=False)
    low, high = float(X.min()), float(X.max())
    for i in range(count):
        x, r = X[i].reshape(image_shape)[..., 0], reconstructions[i].reshape(image_shape)[..., 0]
        if images:
            for ax, values, label in ((axes[0][i], x, "input"), (axes[1][i], r, "reconstruction")):
                ax.imshow(values, cmap="gray", vmin=low, vmax=high)
                ax.set_xticks([])
                ax.set_yticks([])
                if i == 0:
                    ax.set_ylabel(label, fontsize=8)
        else:
            axes[0][i].plot(x, label="input")
            axes[0][i].plot(r, label="reconstruction")
            axes[0][i].set_yticks([])
    if not images:
        axes[0][0].legend(fontsize=6)
    fig.suptitle(title or "test inputs and their reconstructions")
    fig.tight_layout()
    return figures.save(fig, path, dpi=100)
