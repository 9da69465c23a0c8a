r"""Recurrent models: a sequence classifier and a character language model, and sampling from it.

Language model (the lecture's RNN LM; one or more stacked cells, ``cell`` in ``CELLS``):
    e_t = E[c_t]                    (embedding of the t-th character)
    s_t = cell(s_{t-1}, e_t)        (stacked: the states of one layer are the next one's inputs)
    o_t = softmax(s_t V + c)        (the next character's distribution, at every step)
    trained on the mean cross-entropy of o_t against c_{t+1}; perplexity = exp of it.
Sampling (``generate``): run the model over a prime text to get every layer's state, then
repeatedly draw c ~ softmax(logits / temperature) and feed it back, one step at a time.
Sequence classifier: the cells over the sample as a sequence (T, D), every state of the last
layer flattened, a dense output layer; ``bidirectional`` also runs each layer on the
reversed sequence (the MNIST-1D paper's bidirectional GRU).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from fnn.layers import (GRU, LSTM, Bidirectional, Dense, Embedding, Flatten, Reshape, Sequential, SimpleRNN, dense,
                        gated, rnn)
from fnn.util import validate

CELLS = {"rnn": SimpleRNN, "gru": GRU, "lstm": LSTM}
EMBEDDING_DIM = 32


def _cells(cell: str, hidden, *, bidirectional: bool = False) -> list:
    validate.choice("recurrent", "cell", cell, CELLS)
    if not hidden:
        raise ValueError("recurrent: expected at least one recurrent layer width in hidden, got none")
    return [Bidirectional(CELLS[cell](width)) if bidirectional else CELLS[cell](width) for width in hidden]


def language_model(vocabulary: int, *, cell: str = "gru", hidden=(128,), embedding_dim: int = EMBEDDING_DIM) -> Sequential:
    """Embedding(V, E) -> stacked cells (every state) -> Dense(V) at every step: ids (N, T) -> logits (N, T, V)."""
    return Sequential(Embedding(vocabulary, embedding_dim), *_cells(cell, hidden), Dense(vocabulary, "glorot_uniform"))


def sequence_classifier(sample_shape, outputs: int, *, cell: str = "gru", hidden=(6,),
                        bidirectional: bool = True) -> Sequential:
    """Flat rows reshaped to (T, D) sequences -> stacked cells -> every state flattened -> Dense(outputs)."""
    return Sequential(Reshape(tuple(sample_shape)), *_cells(cell, hidden, bidirectional=bidirectional), Flatten(),
                      Dense(outputs, "glorot_uniform"))


def _start(layer, params, X):
    """The layer's outputs over X (N, T, D) and its carry after the last step."""
    if isinstance(layer, SimpleRNN):
        return rnn.states(params, X)
    if isinstance(layer, GRU):
        return gated.gru_states(params, X)
    (H_all, _), last = gated.lstm_states(params, X)
    return H_all, last


def _step(layer, params, carry, x):
    """(carry, output) of one step of a cell layer."""
    if isinstance(layer, SimpleRNN):
        carry = rnn.cell(params, carry, x)
        return carry, carry
    if isinstance(layer, GRU):
        carry = gated.gru_cell(params, carry, x)
        return carry, carry
    carry = gated.lstm_cell(params, carry, x)
    return carry, carry[0]


def check_language_model(model) -> None:
    """Raise ValueError unless ``model`` is Embedding, cells, Dense (as ``language_model`` builds)."""
    layers = getattr(model, "layers", ())
    if not (len(layers) >= 3 and isinstance(layers[0], Embedding) and isinstance(layers[-1], Dense)
            and all(isinstance(layer, tuple(CELLS.values())) and layer.sequences for layer in layers[1:-1])):
        raise ValueError("generate: expected a language model (Embedding, recurrent layers, Dense), got "
                         f"{type(model).__name__}")


def generate(model, params, prime, *, length: int, temperature: float, key):
    """Ids (length,) sampled after the ids ``prime`` (P,), P >= 1, from softmax(logits / temperature)."""
    check_language_model(model)
    length = validate.integer("generate", "length", length)
    validate.number_in("generate", "temperature", temperature, 0.0, low_open=True)
    if len(prime) < 1:
        raise ValueError("generate: expected a prime of at least one character, got an empty one")
    embedding, cells = model.layers[0], model.layers[1:-1]
    X = embedding.apply(params[0], (), jnp.asarray(prime)[None], train=False)[0]
    carries = []
    for layer, p in zip(cells, params[1:-1]):
        X, carry = _start(layer, p, X)
        carries.append(carry)
    logits = dense.apply(params[-1], X[:, -1])

    def sample(state, step_key):
        carries, logits = state
        token = jax.random.categorical(step_key, logits / temperature)
        x = params[0].E[token]
        new = []
        for layer, p, carry in zip(cells, params[1:-1], carries):
            carry, x = _step(layer, p, carry, x)
            new.append(carry)
        return (new, dense.apply(params[-1], x)), token[0]

    _, tokens = jax.lax.scan(sample, (carries, logits), jax.random.split(key, length))
    return tokens
