r"""Gated recurrent layers: the GRU (Cho et al. 2014) and the LSTM (Hochreiter and Schmidhuber 1997).

Layout and scan as in ``fnn.layers.rnn``: X (N, T, D) batch first, one ``lax.scan`` over
time, an optional mask (N, T) of valid steps (a padded step keeps the carried state).
sigma is the logistic sigmoid; the gates' weights are stacked along the last axis.

GRU, gates in the order (r, z, n) of PyTorch's ``nn.GRU``:
    r_t = sigma(x_t U_r + h_{t-1} W_r + b_r)            reset gate
    z_t = sigma(x_t U_z + h_{t-1} W_z + b_z)            update gate
    n_t = tanh(x_t U_n + b_n + r_t * (h_{t-1} W_n + c))  candidate state
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}
    U (D, 3H), W (H, 3H), b (3H,), c (H,). PyTorch's biases map as b_ih = b, b_hh = (0, 0, c)
    (only the candidate's recurrent bias sits inside the reset product).
LSTM, gates in the order (i, f, g, o) of PyTorch's ``nn.LSTM``:
    (a_i, a_f, a_g, a_o) = x_t U + h_{t-1} W + b
    i, f, o = sigma(a_i), sigma(a_f), sigma(a_o);  g = tanh(a_g)
    c_t = f * c_{t-1} + i * g;   h_t = o * tanh(c_t)
    U (D, 4H), W (H, 4H), b (4H,), the forget gate's bias starting at 1 (Jozefowicz et al. 2015).
    The carry is (h, c); the layer outputs h.
The additive paths (z * h_{t-1}, f * c_{t-1}) let a gradient cross many steps without
being multiplied by W each time: why gated cells learn long dependencies a simple RNN cannot.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp

from fnn import initializers
from fnn.layers.rnn import check_mask, check_sequences, scan_time
from fnn.util import validate


class GRUParams(NamedTuple):
    """U (D, 3H), W (H, 3H), b (3H,) in gate order (r, z, n), and the candidate's recurrent bias c (H,)."""

    U: jax.Array
    W: jax.Array
    b: jax.Array
    c: jax.Array


class LSTMParams(NamedTuple):
    """U (D, 4H), W (H, 4H), b (4H,) in gate order (i, f, g, o)."""

    U: jax.Array
    W: jax.Array
    b: jax.Array


def _stacked_orthogonal(key, units: int, gates: int, dtype):
    """W (H, gates H): one orthogonal (H, H) block per gate."""
    return jnp.concatenate([initializers.orthogonal(k, (units, units), dtype)
                            for k in jax.random.split(key, gates)], axis=1)


def gru_init(key, d_in: int, units: int, *, initializer=initializers.glorot_uniform, dtype=jnp.float32) -> GRUParams:
    """U from ``initializer``, each gate's W orthogonal, biases 0."""
    key_U, key_W = jax.random.split(key)
    return GRUParams(initializer(key_U, (d_in, 3 * units), dtype), _stacked_orthogonal(key_W, units, 3, dtype),
                     jnp.zeros((3 * units,), dtype), jnp.zeros((units,), dtype))


def lstm_init(key, d_in: int, units: int, *, initializer=initializers.glorot_uniform, forget_bias: float = 1.0,
              dtype=jnp.float32) -> LSTMParams:
    """U from ``initializer``, each gate's W orthogonal, b = 0 but ``forget_bias`` on the forget gate."""
    key_U, key_W = jax.random.split(key)
    b = jnp.zeros((4 * units,), dtype).at[units:2 * units].set(forget_bias)
    return LSTMParams(initializer(key_U, (d_in, 4 * units), dtype), _stacked_orthogonal(key_W, units, 4, dtype), b)


def gru_gates(params: GRUParams, h, x):
    """(r, z, n, hidden part of the candidate h W_n + c) of one GRU step."""
    H = params.c.shape[0]
    a = x @ params.U + params.b
    recurrent = h @ params.W
    r = jax.nn.sigmoid(a[:, :H] + recurrent[:, :H])
    z = jax.nn.sigmoid(a[:, H:2 * H] + recurrent[:, H:2 * H])
    hidden = recurrent[:, 2 * H:] + params.c
    return r, z, jnp.tanh(a[:, 2 * H:] + r * hidden), hidden


def gru_cell(params: GRUParams, h, x):
    """h_t = (1 - z) * n + z * h_{t-1}: (N, H), (N, D) -> (N, H)."""
    _, z, n, _ = gru_gates(params, h, x)
    return (1 - z) * n + z * h


def lstm_gates(params: LSTMParams, h, x):
    """(i, f, g, o) of one LSTM step."""
    i, f, g, o = jnp.split(x @ params.U + h @ params.W + params.b, 4, axis=-1)
    return jax.nn.sigmoid(i), jax.nn.sigmoid(f), jnp.tanh(g), jax.nn.sigmoid(o)


def lstm_cell(params: LSTMParams, carry, x):
    """(h_t, c_t) from (h_{t-1}, c_{t-1}): c_t = f c_{t-1} + i g, h_t = o tanh(c_t)."""
    h, c = carry
    i, f, g, o = lstm_gates(params, h, x)
    c = f * c + i * g
    return o * jnp.tanh(c), c


def gru_states(params: GRUParams, X, *, mask=None):
    """(H_all (N, T, H), h_T (N, H)) of the GRU over X (N, T, D)."""
    check_sequences("gru_states", X, params.U.shape[0])
    check_mask("gru_states", mask, X)
    h0 = jnp.zeros((X.shape[0], params.c.shape[0]), X.dtype)
    last, states = scan_time(lambda h, x: gru_cell(params, h, x), h0, X, mask)
    return states, last


def lstm_states(params: LSTMParams, X, *, mask=None):
    """((H_all, C_all) (N, T, H) each, (h_T, c_T)) of the LSTM over X (N, T, D)."""
    check_sequences("lstm_states", X, params.U.shape[0])
    check_mask("lstm_states", mask, X)
    zeros = jnp.zeros((X.shape[0], params.W.shape[0]), X.dtype)
    last, states = scan_time(lambda carry, x: lstm_cell(params, carry, x), (zeros, zeros), X, mask)
    return states, last


@dataclasses.dataclass(frozen=True)
class _Gated:
    """What the GRU and LSTM specs share: ``units`` H, ``sequences`` (every h_t or the last), U's initializer."""

    units: int
    sequences: bool = True
    initializer: str = "glorot_uniform"

    deterministic = True

    def __post_init__(self):
        object.__setattr__(self, "units", validate.integer(type(self).__name__, "units", self.units))
        initializers.get(self.initializer)

    def init(self, key, in_shape, *, dtype):
        if len(in_shape) != 2:
            raise ValueError(f"{type(self).__name__}: expected a sample shape (T, D), got {tuple(in_shape)}")
        params = self.make(key, in_shape[-1], self.units, initializer=initializers.get(self.initializer), dtype=dtype)
        return ((in_shape[0], self.units) if self.sequences else (self.units,)), params, ()

    def weight_mask(self, params):
        return type(params)(*(name in ("U", "W") for name in params._fields))


@dataclasses.dataclass(frozen=True)
class GRU(_Gated):
    """Layer spec: a GRU of ``units`` over (N, T, D) sequences (every h_t, or the last with ``sequences=False``)."""

    make = staticmethod(gru_init)

    def apply(self, params, state, X, *, train, key=None):
        states, last = gru_states(params, X)
        return (states if self.sequences else last), state


@dataclasses.dataclass(frozen=True)
class LSTM(_Gated):
    """Layer spec: an LSTM of ``units`` over (N, T, D) sequences; outputs h (every h_t, or the last)."""

    make = staticmethod(lstm_init)

    def apply(self, params, state, X, *, train, key=None):
        (H_all, _), (h_last, _) = lstm_states(params, X)
        return (H_all if self.sequences else h_last), state
