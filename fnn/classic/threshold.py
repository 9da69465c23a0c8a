r"""Threshold (McCulloch-Pitts) units and the networks the lecture builds from them by hand.

A threshold unit outputs H(x . w + b), H the Heaviside step. A threshold network is a
sequence of layers ``DenseParams(W, b)`` (as ``fnn.layers.dense``), each followed by H:
A_k = H(A_{k-1} W_k + b_k). Inputs and outputs are 0/1 values in a floating dtype.

- ``xor_network``: XOR as a 2-2-1 network whose weights are written out: hidden units OR
  and NAND, output unit AND, so XOR(a, b) = AND(OR(a, b), NAND(a, b)).
- ``dnf_network``: any boolean function of n inputs from its truth table, as its
  disjunctive normal form: one hidden unit per true row (a conjunction that fires on that
  row only) and an output unit that ORs them.

Reference: McCulloch and Pitts (1943); the lecture's "XOR with one hidden layer" and "any
boolean function with one hidden layer" slides.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from fnn.layers import dense
from fnn.layers.dense import DenseParams
from fnn.util import validate


def step(Z):
    r"""Heaviside step, H(z) = 1 if z >= 0 else 0, in Z's dtype.

    Math:
        H(z) = [z >= 0]; the networks here never put a unit at exactly 0 (biases are
        odd multiples of 1/2 and inputs are 0/1), so the value at 0 is a convention only.
    """
    validate.floating("threshold.step", "Z", Z)
    return (Z >= 0).astype(Z.dtype)


def apply(network, X):
    r"""Run a threshold network on a batch.

    Math:
        A_0 = X;  A_k = H(A_{k-1} W_k + b_k), k = 1..L;  output A_L.
    Shapes:
        network: a sequence of ``DenseParams``; X (N, D_0) floating -> (N, D_L).
    """
    if not network:
        raise ValueError("threshold.apply: expected at least one layer in network, got none")
    validate.ndim("threshold.apply", "X", X, 2, "X is (N, D), one input row per sample")
    for params in network:
        X = step(dense.apply(params, X))
    return X


def xor_network(*, dtype=jnp.float32) -> tuple[DenseParams, DenseParams]:
    r"""XOR of two 0/1 inputs as a 2-2-1 threshold network with hand-set weights.

    Math:
        h_1 = OR(a, b)   = H(a + b - 1/2)
        h_2 = NAND(a, b) = H(-a - b + 3/2)
        y   = AND(h_1, h_2) = H(h_1 + h_2 - 3/2)
        so y = 1 exactly when one input is 1: (0,0)->0, (0,1)->1, (1,0)->1, (1,1)->0.
    Returns:
        (hidden DenseParams(W (2, 2), b (2,)), output DenseParams(W (2, 1), b (1,))).
    """
    hidden = DenseParams(W=jnp.array([[1.0, -1.0],     # a: +1 into OR, -1 into NAND
                                      [1.0, -1.0]],    # b: the same
                                     dtype),
                         b=jnp.array([-0.5, 1.5], dtype))
    output = DenseParams(W=jnp.array([[1.0], [1.0]], dtype), b=jnp.array([-1.5], dtype))
    return hidden, output


def truth_table_inputs(n: int, *, dtype=jnp.float32):
    """The 2^n input rows of a truth table on n inputs, in counting order (2^n, n).

    Row i holds the binary digits of i, most significant first: for n = 2 the rows are
    (0,0), (0,1), (1,0), (1,1). ``dnf_network`` reads a table in this order.
    """
    return jnp.asarray(_rows(validate.integer("truth_table_inputs", "n", n)), dtype)


def _rows(n: int) -> np.ndarray:
    return np.arange(2**n)[:, None] >> np.arange(n - 1, -1, -1)[None, :] & 1


def _truth_values(table) -> np.ndarray:
    where = "dnf_network"
    if isinstance(table, jax.core.Tracer):
        raise TypeError(f"{where}: expected a concrete truth table (its true rows set the number of hidden units), "
                        f"got a traced array; build the network outside jax.jit and jit threshold.apply")
    values = np.asarray(table)
    validate.ndim(where, "table", values, 1, "table is (2^n,), one output per input row in counting order")
    n = int(values.shape[0]).bit_length() - 1
    if values.shape[0] < 2 or values.shape[0] != 2**n:
        raise ValueError(f"{where}: expected a table of 2^n entries (n >= 1), got table.shape={values.shape}")
    if not set(np.unique(values).tolist()) <= {0, 1}:
        raise ValueError(f"{where}: expected 0/1 (or boolean) table entries, got values {np.unique(values)[:5]}")
    return values.astype(bool)


def dnf_network(table, *, dtype=jnp.float32) -> tuple[DenseParams, DenseParams]:
    r"""A two-layer threshold network computing the boolean function given by ``table``.

    Math (disjunctive normal form; r a true row of the table, |r| its number of ones):
        hidden unit for r:  h_r(x) = H(sum_j (2 r_j - 1) x_j - |r| + 1/2)
            (weights +1 where r_j = 1, -1 where r_j = 0). The sum reaches |r| only at
            x = r and is at most |r| - 1 elsewhere, so h_r(x) = [x = r].
        output unit:        y(x) = H(sum_r h_r(x) - 1/2) = OR_r h_r(x).
        The all-false table has no true row: it gets one hidden unit with zero weights and
        bias -1/2, which never fires, so y = 0 everywhere.
    Args:
        table: (2^n,) 0/1 or boolean outputs, row i for the inputs ``truth_table_inputs(n)[i]``
            (the binary digits of i). Concrete: it fixes the network's width.
        dtype: floating dtype of the weights.
    Returns:
        (hidden DenseParams(W (n, k), b (k,)), output DenseParams(W (k, 1), b (1,))), with
        k = max(1, number of true rows).
    """
    values = _truth_values(table)
    n = values.shape[0].bit_length() - 1
    rows = _rows(n)[values]
    if rows.shape[0] == 0:
        W, b = np.zeros((n, 1)), np.array([-0.5])
    else:
        W, b = (2 * rows - 1).T, 0.5 - rows.sum(axis=1)
    arrays = [np.asarray(a, jnp.dtype(dtype)) for a in (W, b, np.ones((W.shape[1], 1)), [-0.5])]
    return DenseParams(*map(jnp.asarray, arrays[:2])), DenseParams(*map(jnp.asarray, arrays[2:]))
