import json
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fnn import optim, train
from fnn.bench import peers
from fnn.models import mlp
from fnn.objective import Objective

SKLEARN_EPS_AT_STEP_1 = 1e-8 / math.sqrt(1 - 0.999)
"""scikit-learn's Adam (the "efficient" form, eps added to sqrt(v)) is Algorithm 1 with this eps at t = 1."""


def test_smoke_with_a_tiny_config(load_script, capsys, tmp_path):
    bench = load_script("bench_peers")
    config, path = bench.parse(["--steps-per-epoch", "2", "--repeats", "1", "--peak-size", "64", "--wide", "0",
                                "--pause-ms", "0", "--json", str(tmp_path / "r.json")])
    assert path.endswith("r.json") and (config.repeats, config.peak_size, config.wide, config.pause_ms) == (1, 64, 0, 0)
    # --wide 0: the first model alone
    config = bench.Config(models=(("digits", (64, 8, 10), 4), ("synthetic", (16, 8, 10), 4)), steps_per_epoch=2,
                          epoch_calls=1, repeats=1, peak_size=64, torch_threads=1, pause_ms=0, wide=0)
    results = bench.main(config)
    (digits,) = results["models"]
    assert digits["model"] == "64-8-10" and digits["data"] == "digits"
    assert {"fnn", "hand-written JAX scan", "scikit-learn", "matmuls alone"} <= set(digits["epochs"])
    assert digits["epochs"]["fnn"]["over_baseline"] == 1 and digits["fnn_over_matmuls_and_updates"] > 0
    assert "gflops" not in digits["epochs"]["Adam updates alone"] and digits["epochs"]["fnn"]["gflops"] > 0
    assert results["matmul_gflops"] > 0 and results["torch_threads"] == 1
    out = capsys.readouterr().out
    assert "fnn / matmuls alone" in out and "GFLOP/s" in out
    json.dumps(results)


def test_digits_data_must_fit_the_epoch(load_script):
    bench = load_script("bench_peers")
    with pytest.raises(ValueError, match="take fewer steps per epoch"):
        bench.epoch_data("digits", (64, 10), 2000, seed=0)


@pytest.mark.parametrize("name", ["fnn", "hand-written JAX scan", "PyTorch eager", "scikit-learn"])
def test_every_peer_trains_the_same_function_as_fnn(load_script, name):
    """Same weights copied over -> same loss on a batch; one epoch of one batch = one Adam step of fnn's."""
    if name == "PyTorch eager":
        pytest.importorskip("torch")
    bench = load_script("bench_peers")
    key = jax.random.key(3)
    objective = Objective(mlp.mlp((8, 8), 3))
    params = objective.model.init(key, (6,), dtype=jnp.float32)[1]
    batch = bench.epoch_data("synthetic", (6, 8, 8, 3), 5, seed=3)
    trainer = bench.make_peers(objective, params, batch, batch_size=5, learning_rate=1e-2, seed=0)[name]

    loss = objective(params, tuple(map(jnp.asarray, batch)))
    np.testing.assert_allclose(trainer.loss(*batch), loss, rtol=1e-5)
    optimizer = optim.adam(1e-2, eps=SKLEARN_EPS_AT_STEP_1 if name == "scikit-learn" else 1e-8)
    state, _ = train.make_train_step(objective, optimizer)(train.init_state(params, optimizer),
                                                           tuple(map(jnp.asarray, batch)))
    trainer.epoch()
    for (W, b), (W_peer, b_peer), (W_0, _) in zip(peers.dense_weights(state.params), trainer.weights(),
                                                  peers.dense_weights(params)):
        np.testing.assert_allclose(W_peer, W, atol=1e-5)
        np.testing.assert_allclose(b_peer, b, atol=1e-5)
        assert np.max(np.abs(W - W_0)) > 1e-3  # the step moved the weights


def test_matmuls_epoch_does_the_products_of_an_epoch():
    from fnn.bench.timing import matmuls_epoch

    epoch, (batches,) = matmuls_epoch((6, 5, 3), 4, 2)
    grads = epoch(batches)
    assert batches.shape == (2, 4, 6) and [g.shape for g in grads] == [(6, 5), (5, 3)]


def test_updates_epoch_applies_the_optimizer_steps_times():
    from fnn.bench.timing import updates_epoch

    params = {"W": jnp.ones((2, 3), jnp.float32)}
    run, args = updates_epoch(optim.sgd(0.5), params, 4)
    params, _ = run(*args)
    np.testing.assert_allclose(params["W"], 1 - 4 * 0.5 * 1e-3, rtol=1e-6)
