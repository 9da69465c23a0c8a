r"""Multilayer perceptron builder: hidden dense layers with activation g, then a linear output.

Math (hidden layer k = 1..L, A_0 = X):
    Z_k = A_{k-1} W_k + b_k;  [Z_k = BN(Z_k) if batchnorm="before"]
    A_k = g(Z_k);             [A_k = BN(A_k) if batchnorm="after"];  A_k = dropout(A_k)
    logits = A_L W_{L+1} + b_{L+1}
With ``residual=True`` every hidden layer after the first is a skip block,
A_k = A_{k-1} + block(A_{k-1}) (the MNIST-1D paper's MLP: h = relu(L1 x);
h = h + relu(L2 h); out = L3 h). With ``activation="maxout"`` each hidden layer has
``pieces`` times its width of linear units and g takes the max of each group.

``mlp(hidden, outputs, ...)`` returns an ``fnn.layers.Sequential``: a composition like any
other, so the generic backprop and every tool that takes a model work on it.
"""

from __future__ import annotations

from fnn import activations
from fnn.layers import Activation, BatchNorm, Dense, Dropout, Maxout, Residual, Sequential
from fnn.layers import dropout as dropout_layer
from fnn.util import validate

BATCHNORM_PLACES = ("before", "after")
ACTIVATIONS = (*activations.ELEMENTWISE, "maxout")


def _hidden_block(width: int, *, activation, pieces, initializer, bias, batchnorm, batchnorm_momentum,
                  unbiased_variance, dropout, dropout_form) -> list:
    units = width * pieces if activation == "maxout" else width
    norm = BatchNorm(batchnorm_momentum, unbiased=unbiased_variance) if batchnorm else None
    block = [Dense(units, initializer, bias)]
    if batchnorm == "before":
        block.append(norm)
    block.append(Maxout(pieces) if activation == "maxout" else Activation(activation))
    if batchnorm == "after":
        block.append(norm)
    if dropout > 0:
        block.append(Dropout(dropout, dropout_form))
    return block


def mlp(hidden, outputs: int, *, activation: str = "relu", pieces: int = 2, initializer: str = "he_normal",
        bias: str = "zeros", batchnorm: str | None = None, batchnorm_momentum: float = 0.9,
        unbiased_variance: bool = False, dropout: float = 0.0, dropout_form: str = "inverted",
        residual: bool = False) -> Sequential:
    """Build an MLP as a ``Sequential`` of layers.

    Args:
        hidden: hidden widths (h_1, ..., h_L); empty for a linear model.
        outputs: width of the output layer (classes, 1 for binary, targets for regression).
        activation: a name from ``fnn.activations.ELEMENTWISE``, or "maxout" (with ``pieces``).
        initializer, bias: of every dense layer (see ``fnn.layers.Dense``).
        batchnorm: None, or batch norm on every hidden layer "before" or "after" g.
        batchnorm_momentum, unbiased_variance: see ``fnn.layers.batchnorm``.
        dropout, dropout_form: dropout after every hidden layer (rate 0: none).
        residual: skip connections around hidden layers 2..L (their widths must be equal).
    """
    hidden = tuple(validate.integer("mlp", "hidden widths", h) for h in hidden)
    validate.choice("mlp", "activation", activation, ACTIVATIONS)
    if batchnorm is not None:
        validate.choice("mlp", "batchnorm", batchnorm, BATCHNORM_PLACES)
    dropout_layer.check(dropout, dropout_form)
    if residual and len(set(hidden)) > 1:
        raise ValueError(f"mlp: expected equal hidden widths for residual blocks, got {hidden!r}")
    options = dict(activation=activation, pieces=pieces, initializer=initializer, bias=bias, batchnorm=batchnorm,
                   batchnorm_momentum=batchnorm_momentum, unbiased_variance=unbiased_variance, dropout=dropout,
                   dropout_form=dropout_form)
    layers = []
    for k, width in enumerate(hidden):
        block = _hidden_block(width, **options)
        layers += [Residual(Sequential(block))] if residual and k > 0 else block
    return Sequential(*layers, Dense(outputs, initializer, bias))
