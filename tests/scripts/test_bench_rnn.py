import json


def test_smoke_with_a_tiny_config(load_script, capsys, tmp_path):
    bench = load_script("bench_rnn")
    config, path = bench.parse(["--steps-per-epoch", "2", "--json", str(tmp_path / "r.json")])
    assert path.endswith("r.json") and config.steps_per_epoch == 2
    results = bench.main(bench.Config(batch_size=4, hidden=8, steps_per_epoch=2, step_calls=1, epoch_calls=1, repeats=1))
    assert set(results["epoch_seconds"]) == {"autodiff", "hand-derived", "hand-written scan"}
    assert results["hand_over_auto_step"] > 0 and results["fnn_over_scan_epoch"] > 0
    assert "fnn / hand-written scan epoch" in capsys.readouterr().out
    json.dumps(results)


def test_the_peer_is_the_same_network_as_fnns(load_script):
    """The hand-written loss and its gradient equal fnn's objective at the same parameters
    (both jitted, as the benchmark runs them: one compilation each, not one per operation)."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    from fnn import tasks
    from fnn.objective import Objective

    bench = load_script("bench_rnn")
    key = jax.random.key(0)
    net = bench.model(bench.Config(hidden=16))
    X = jax.random.randint(key, (8, 12), 0, bench.VOCABULARY).astype(jnp.float64)
    y = jax.random.randint(jax.random.fold_in(key, 1), (8, 12), 0, bench.VOCABULARY)
    params = jax.tree.map(lambda p: p + 0.1, net.init(key, (12,), dtype=jnp.float64)[1])
    ours, our_grads = jax.jit(jax.value_and_grad(Objective(net, tasks.PerStep())))(params, (X, y))
    theirs, their_grads = jax.jit(jax.value_and_grad(bench.hand_written_loss))(bench.plain(params), X, y)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    for a, b in zip(bench.plain(our_grads), their_grads):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
