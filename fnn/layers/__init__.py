"""Layers: plain math functions per module (``dense.apply(params, X)``) and a spec per layer.

A spec is a frozen, hashable description with ``init(key, in_shape, *, dtype)``,
``apply(params, state, X, *, train, key)`` and ``weight_mask(params)`` (see
``fnn.layers.base``); ``Sequential``, ``Residual`` and ``Unpooled`` compose specs into models.
"""

from fnn.layers.activation import Activation, Maxout
from fnn.layers.base import Layer, Residual, Sequential
from fnn.layers.batchnorm import BatchNorm
from fnn.layers.conv import Conv, ConvTranspose
from fnn.layers.dense import Dense
from fnn.layers.dropout import Dropout
from fnn.layers.embedding import Embedding
from fnn.layers.flatten import Flatten, Reshape
from fnn.layers.gated import GRU, LSTM
from fnn.layers.pool import AvgPool, GlobalAvgPool, MaxPool
from fnn.layers.rnn import Bidirectional, SimpleRNN
from fnn.layers.unpool import NearestUnpool, Unpooled

__all__ = ["Activation", "AvgPool", "BatchNorm", "Bidirectional", "Conv", "ConvTranspose", "Dense", "Dropout",
           "Embedding", "Flatten", "GlobalAvgPool", "GRU", "Layer", "LSTM", "MaxPool", "Maxout", "NearestUnpool",
           "Reshape", "Residual", "Sequential", "SimpleRNN", "Unpooled"]
