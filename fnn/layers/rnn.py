r"""Simple recurrent layer (the lecture's RNN, Elman 1990): one ``lax.scan`` over time.

Layout: X (N, T, D), batch first as for every layer; the scan runs time-major, (T, N, D).

Math (t = 1..T, s_0 = 0, or the given initial state):
    a_t = x_t U + s_{t-1} W + b
    s_t = tanh(a_t)
    with a mask m (N, T) of valid steps (padded sequences): s_t = m_t tanh(a_t) + (1 - m_t) s_{t-1},
    so a padded step keeps the state and the last state is that of the last valid step.
    Truncated BPTT (``truncate`` k): the state entering steps k+1, 2k+1, ... is a constant
    for differentiation (``lax.stop_gradient``), so a gradient flows back at most to the
    start of its chunk of k steps; the forward values are unchanged.
Shapes: U (D, H), W (H, H), b (H,); the states S (N, T, H). ``SimpleRNN`` returns S
(``sequences=True``, e.g. for a per-step ``Dense`` output, which acts on the last axis) or
the last state s_T (N, H) for a sequence classifier.
``Bidirectional(body)`` runs a second copy of a recurrent layer on the reversed sequence and
puts both outputs side by side (Schuster and Paliwal 1997).
Reference: the lecture's RNN language model; Elman (1990); Goodfellow et al., ch. 10.
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from fnn import initializers
from fnn.layers.base import Wrapper
from fnn.util import validate


class RNNParams(NamedTuple):
    """Input weights U (D, H), recurrent weights W (H, H), bias b (H,)."""

    U: jax.Array
    W: jax.Array
    b: jax.Array


def init(key, d_in: int, units: int, *, initializer=initializers.glorot_uniform,
         recurrent_initializer=initializers.orthogonal, dtype=jnp.float32) -> RNNParams:
    """U from ``initializer``, W from ``recurrent_initializer`` (orthogonal: all singular values 1), b = 0."""
    key_U, key_W = jax.random.split(key)
    return RNNParams(initializer(key_U, (d_in, units), dtype), recurrent_initializer(key_W, (units, units), dtype),
                     jnp.zeros((units,), dtype))


def check_sequences(where: str, X, d_in: int | None = None) -> None:
    """Raise ValueError unless X is (N, T, D) with T >= 1 (and D == ``d_in`` when given)."""
    if X.ndim != 3 or X.shape[1] < 1:
        raise ValueError(f"{where}: expected sequences X of shape (N, T, D) with T >= 1, got X.shape={X.shape}")
    if d_in is not None and X.shape[2] != d_in:
        raise ValueError(f"{where}: expected {d_in} features per step (U.shape[0]), got X.shape={X.shape}")


def check_mask(where: str, mask, X) -> None:
    """Raise ValueError unless ``mask`` is None or (N, T) like X's first two axes."""
    if mask is not None and tuple(mask.shape) != tuple(X.shape[:2]):
        raise ValueError(f"{where}: expected mask of shape (N, T) = {tuple(X.shape[:2])}, got {tuple(mask.shape)}")


def scan_time(step, carry, X, mask=None, truncate: int | None = None):
    """Run ``step(carry, x_t) -> carry`` over the T steps of X (N, T, D) in one ``lax.scan``.

    A masked step (m_t = 0) keeps the carry unchanged; with ``truncate`` k the carry entering
    steps k+1, 2k+1, ... passes no gradient. Returns the last carry and every step's carry
    stacked batch first, (N, T, ...) per carried array. Without a mask the step is not blended.
    """
    steps = jnp.swapaxes(X, 0, 1)
    valid = None if mask is None else jnp.swapaxes(mask, 0, 1).astype(X.dtype)

    def body(carry, inputs):
        t, x, m = inputs
        if truncate is not None:
            cut = (t % truncate == 0) & (t > 0)
            carry = jax.tree.map(lambda c: jnp.where(cut, jax.lax.stop_gradient(c), c), carry)
        new = step(carry, x)
        if m is not None:
            new = jax.tree.map(lambda n, old: m[:, None] * n + (1 - m[:, None]) * old, new, carry)
        return new, new

    carry, carries = jax.lax.scan(body, carry, (jnp.arange(steps.shape[0]), steps, valid))
    return carry, jax.tree.map(lambda c: jnp.swapaxes(c, 0, 1), carries)


def cell(params: RNNParams, s, x):
    """One step, s_t = tanh(x_t U + s_{t-1} W + b): (N, H), (N, D) -> (N, H)."""
    return jnp.tanh(x @ params.U + s @ params.W + params.b)


def states(params: RNNParams, X, *, mask=None, s0=None, truncate: int | None = None):
    """(S (N, T, H), s_T (N, H)): every state of the simple RNN over X (N, T, D), and the last;
    ``mask`` (N, T) marks the valid steps (a padded step repeats the previous state),
    ``truncate`` k cuts the gradient every k steps."""
    check_sequences("rnn.states", X, params.U.shape[0])
    check_mask("rnn.states", mask, X)
    s0 = jnp.zeros((X.shape[0], params.W.shape[0]), X.dtype) if s0 is None else s0
    last, S = scan_time(lambda s, x: cell(params, s, x), s0, X, mask, truncate)
    return S, last


@dataclasses.dataclass(frozen=True)
class SimpleRNN:
    """Layer spec: a simple RNN of ``units`` hidden units over (N, T, D) sequences.

    Attributes:
        units: H.
        sequences: return every state (N, T, H) if True, else the last one (N, H).
        truncate: None for full BPTT, or k for truncated BPTT in chunks of k steps.
        initializer: a name from ``fnn.initializers.BY_NAME`` for U (W is orthogonal).
    """

    units: int
    sequences: bool = True
    truncate: int | None = None
    initializer: str = "glorot_uniform"

    deterministic = True

    def __post_init__(self):
        object.__setattr__(self, "units", validate.integer("SimpleRNN", "units", self.units))
        if self.truncate is not None:
            object.__setattr__(self, "truncate", validate.integer("SimpleRNN", "truncate", self.truncate))
        initializers.get(self.initializer)

    def init(self, key, in_shape, *, dtype):
        if len(in_shape) != 2:
            raise ValueError(f"SimpleRNN: expected a sample shape (T, D), got {tuple(in_shape)}")
        params = init(key, in_shape[-1], self.units, initializer=initializers.get(self.initializer), dtype=dtype)
        return ((in_shape[0], self.units) if self.sequences else (self.units,)), params, ()

    def apply(self, params, state, X, *, train, key=None):
        S, last = states(params, X, truncate=self.truncate)
        return (S if self.sequences else last), state

    def weight_mask(self, params):
        return RNNParams(U=True, W=True, b=False)


@dataclasses.dataclass(frozen=True)
class Bidirectional(Wrapper):
    """A recurrent ``body`` run forwards, and a second copy run on the time-reversed sequence.

    Y_t = [f(X)_t, reverse(b(reverse(X)))_t]: every step sees the whole sequence; with a body
    that returns only its last state, Y = [f's last state, b's last state (after step 1)].
    Params and state are pairs (forward, backward); the output width is twice the body's.
    """

    body: Any

    def init(self, key, in_shape, *, dtype):
        if not hasattr(self.body, "sequences"):
            raise ValueError(f"Bidirectional: expected a recurrent layer (SimpleRNN, GRU, LSTM), got {self.body}")
        key_f, key_b = jax.random.split(key)
        out_shape, forward, state = self.body.init(key_f, in_shape, dtype=dtype)
        _, backward, _ = self.body.init(key_b, in_shape, dtype=dtype)
        return (*out_shape[:-1], 2 * out_shape[-1]), (forward, backward), (state, state)

    def apply(self, params, state, X, *, train, key=None):
        state = ((), ()) if state in ((), None) else state
        Y_f, s_f = self.body.apply(params[0], state[0], X, train=train, key=key)
        Y_b, s_b = self.body.apply(params[1], state[1], X[:, ::-1], train=train, key=key)
        return join(self.body, Y_f, Y_b), (s_f, s_b)

    def weight_mask(self, params):
        return tuple(self.body.weight_mask(p) for p in params)


def join(body, Y_f, Y_b):
    """The two directions' outputs side by side, the backward one put back in time order."""
    return jnp.concatenate([Y_f, Y_b[:, ::-1] if body.sequences else Y_b], axis=-1)
