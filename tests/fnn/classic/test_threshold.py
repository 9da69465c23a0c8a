import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn.classic import threshold
from fnn.layers.dense import DenseParams


def test_step_is_one_from_zero_up():
    np.testing.assert_array_equal(threshold.step(jnp.array([-1.0, -1e-300, 0.0, 2.0])), [0.0, 0.0, 1.0, 1.0])
    assert threshold.step(jnp.zeros(2, jnp.float32)).dtype == jnp.float32


def test_xor_by_hand_is_exact_on_all_four_inputs():
    X = threshold.truth_table_inputs(2, dtype=jnp.float64)
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    network = threshold.xor_network(dtype=jnp.float64)
    hidden = threshold.step(X @ network[0].W + network[0].b)
    np.testing.assert_array_equal(hidden, [[0, 1], [1, 1], [1, 1], [1, 0]])  # OR, NAND
    np.testing.assert_array_equal(jax.jit(threshold.apply)(network, X)[:, 0], [0, 1, 1, 0])


def padded(network, width):
    """The same function with ``width`` hidden units: the extra units (W = 0, b = -1/2) never fire."""
    (W1, b1), (W2, b2) = jax.tree.map(np.asarray, network)  # padded on the host: no compilation per width
    extra = width - W1.shape[1]
    return (DenseParams(np.pad(W1, ((0, 0), (0, extra))), np.pad(b1, (0, extra), constant_values=-0.5)),
            DenseParams(np.pad(W2, ((0, extra), (0, 0)), constant_values=1.0), b2))


def check_dnf(tables):
    """Build every table's network, check its width, and run them all at once (padded, vmapped, jitted)."""
    n = int(np.log2(tables.shape[1]))
    networks = [threshold.dnf_network(table, dtype=jnp.float64) for table in tables]
    for table, (hidden, _) in zip(tables, networks):
        assert hidden.W.shape == (n, max(1, int(np.sum(table))))  # one hidden unit per true row
    stacked = jax.tree.map(lambda *leaves: jnp.asarray(np.stack(leaves)), *[padded(net, 2**n) for net in networks])
    X = threshold.truth_table_inputs(n, dtype=jnp.float64)
    outputs = jax.jit(jax.vmap(threshold.apply, in_axes=(0, None)))(stacked, X)
    np.testing.assert_array_equal(outputs[..., 0], np.asarray(tables, np.float64))


@pytest.mark.parametrize("n", [1, 2, 3])
def test_dnf_network_is_exact_for_every_truth_table(n):
    rows = 2**n
    check_dnf((np.arange(2**rows)[:, None] >> np.arange(rows)) & 1)  # all 2^(2^n) functions: 256 for n = 3


@pytest.mark.parametrize("n", [4, 5, 6])
def test_dnf_network_is_exact_for_random_truth_tables(n):
    rng = np.random.default_rng(n)
    density = np.repeat([0.1, 0.5, 0.9], 4)[:, None]
    tables = rng.uniform(size=(12, 2**n)) < density
    check_dnf(np.concatenate([tables, np.zeros((1, 2**n), bool), np.ones((1, 2**n), bool)]))


def test_dnf_of_the_xor_table_has_two_hidden_units():
    hidden, output = threshold.dnf_network(jnp.array([0, 1, 1, 0]), dtype=jnp.float64)
    np.testing.assert_array_equal(hidden.W, [[-1, 1], [1, -1]])  # rows (0, 1) and (1, 0)
    np.testing.assert_array_equal(hidden.b, [-0.5, -0.5])
    np.testing.assert_array_equal(output.b, [-0.5])


def test_bad_tables_are_named():
    with pytest.raises(ValueError, match=r"dnf_network: expected a table of 2\^n entries \(n >= 1\), got table.shape"):
        threshold.dnf_network(np.array([0, 1, 1]))
    with pytest.raises(ValueError, match="dnf_network: expected 0/1"):
        threshold.dnf_network(np.array([0, 2, 1, 0]))
    with pytest.raises(ValueError, match="dnf_network: expected table with 1 dimensions"):
        threshold.dnf_network(np.zeros((2, 2)))
    with pytest.raises(TypeError, match="dnf_network: expected a concrete truth table"):
        jax.jit(threshold.dnf_network)(jnp.array([0, 1]))
    with pytest.raises(ValueError, match="threshold.apply: expected at least one layer"):
        threshold.apply((), jnp.zeros((1, 2)))
