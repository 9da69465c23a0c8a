import pytest


def test_its_flags_and_cells(load_script, tmp_path):
    """Its run at a tiny size is ``tests/scripts/test_benchmarks.py``'s (its ``bench_cell`` times two rounds of each cell)."""
    bench = load_script("bench_rnn")
    config, path = bench.parse(["--steps-per-epoch", "2", "--json", str(tmp_path / "r.json")])
    assert path.endswith("r.json") and config.steps_per_epoch == 2 and config.cells == ("rnn", "gru")


@pytest.mark.parametrize("cell", ["rnn", "gru"])
def test_the_peer_is_the_same_network_as_fnns(load_script, cell):
    """The hand-written loss and its gradient equal fnn's objective at the same parameters
    (both jitted, as the benchmark runs them: one compilation each, not one per operation)."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    from fnn import tasks
    from fnn.objective import Objective

    bench = load_script("bench_rnn")
    key = jax.random.key(0)
    net = bench.model(bench.Config(hidden=16), cell)
    X = jax.random.randint(key, (8, 12), 0, bench.VOCABULARY).astype(jnp.float64)
    y = jax.random.randint(jax.random.fold_in(key, 1), (8, 12), 0, bench.VOCABULARY)
    params = jax.tree.map(lambda p: p + 0.1, net.init(key, (12,), dtype=jnp.float64)[1])
    ours, our_grads = jax.jit(jax.value_and_grad(Objective(net, tasks.PerStep())))(params, (X, y))
    theirs, their_grads = jax.jit(jax.value_and_grad(bench.hand_written_loss))(bench.plain(params), X, y)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    for a, b in zip(jax.tree.leaves(bench.plain(our_grads)), jax.tree.leaves(their_grads), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
