def test_its_flags(load_script, tmp_path):
    """Its run at a tiny size is ``tests/scripts/test_benchmarks.py``'s (its ``main`` times two rounds of the CNN)."""
    bench = load_script("bench_cnn")
    config, path = bench.parse(["--steps-per-epoch", "2", "--step-calls", "1", "--repeats", "1", "--torch-threads", "1",
                                "--json", str(tmp_path / "r.json")])
    assert path.endswith("r.json") and (config.steps_per_epoch, config.repeats, config.torch_threads) == (2, 1, 1)


def test_the_peer_is_the_same_network_as_fnns(load_script):
    """The hand-written loss and its gradient equal fnn's objective at the same parameters
    (both jitted, as the benchmark runs them: one compilation each, not one per operation)."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    from fnn.models import cnn
    from fnn.objective import Objective

    bench = load_script("bench_cnn")
    key = jax.random.key(0)
    model = cnn.cnn((8, 8, 1), 10, **cnn.PRESETS["image"], hidden=(128, 128))
    X, y = jax.random.normal(key, (32, 64), jnp.float64), jax.random.randint(key, (32,), 0, 10)
    params = model.init(key, (64,), dtype=jnp.float64)[1]
    ours, our_grads = jax.jit(jax.value_and_grad(Objective(model)))(params, (X, y))
    plain = [(layer.W, layer.b) for layer in params if layer != ()]
    theirs, their_grads = jax.jit(jax.value_and_grad(bench.hand_written_loss))(plain, X, y)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    for a, b in zip(jax.tree.leaves([(g.W, g.b) for g in our_grads if g != ()]), jax.tree.leaves(their_grads)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
