"""Data parallelism. The equality test runs in a subprocess with four forced host devices,
since XLA fixes the number of devices when JAX starts."""

import json
import os
import subprocess
import sys
import textwrap

import jax
import numpy as np
import pytest

from fnn import parallel

PROBLEM = textwrap.dedent("""
    import contextlib, dataclasses, io, json, sys
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import numpy as np
    from fnn import cli, optim, parallel, train
    from fnn.fit import fit
    from fnn.models import mlp
    from fnn.objective import Objective

    key = jax.random.key(0)
    X = jax.random.normal(key, (96, 6), jnp.float64)
    y = jnp.argmax(X[:, :3] + 0.3 * X[:, 3:], axis=1).astype(jnp.int32)
    objective = Objective(mlp.mlp((16, 16), 3, batchnorm="before", dropout=0.2))
    params = objective.model.init(jax.random.fold_in(key, 1), (6,), dtype=jnp.float64)[1]

    def train_on(devices):
        return fit(objective, optim.injectable("sgd", learning_rate=0.1), params, (X, y), val=(X, y), batch_size=16,
                   epochs=3, key=key, devices=devices)

    def leaves(result):
        return [np.asarray(jax.device_get(a)).tolist() for a in jax.tree.leaves(result.state.params)]
""")
"""The shared problem: an MLP with batch norm and dropout, SGD, three epochs, float64."""

FOUR_DEVICES = PROBLEM + textwrap.dedent("""
    runs = {devices: train_on(devices) for devices in (None, 4)}
    one, four = (jax.tree.leaves((r.state.params, r.state.model_state)) for r in runs.values())
    epoch = train.make_train_epoch(objective, optim.adam(0.01), batch_size=16, mesh=parallel.batch_mesh(4))
    state = train.init_state(params, optim.adam(0.01), model_state=runs[4].state.model_state)
    hlo = epoch.lower(state, (X, y), key).compile().as_text()

    from fnn.run import assembly
    from fnn.run.configuration import RunConfig
    from fnn.search import trials
    base = RunConfig(dtype="float64", epochs=2, hidden=(8,), batch_size=16)
    prepared = assembly.load_data(base)
    prepared = prepared._replace(train=tuple(a[:100] for a in prepared.train), val=tuple(a[:50] for a in prepared.val))
    def search(config):
        parts = [assembly.build(trials.trial_config(config, {"lr": lr, "seed": seed, "dropout": rate}), data=prepared)
                 for lr, seed, rate in ((1e-3, 0, 0.1), (3e-3, 1, 0.2), (1e-2, 2, 0.3))]  # 3 trials, 4 devices: one copy
        return {devices: trials.train_together(parts, prepared.val, devices=devices) for devices in (None, 4)}

    def largest_gap(searched):
        return max(float(np.max(np.abs(searched[4][1][m] - searched[None][1][m]))) for m in searched[None][1])

    searched = search(base)
    with_batchnorm = search(dataclasses.replace(base, batchnorm="before"))

    out = sys.argv[1]
    command = {}
    for devices, batch in (("1", "64"), ("2", "64"), ("2", "63")):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = cli.main(["train", "--devices", devices, "--batch-size", batch, "--epochs", "1", "--dtype",
                             "float64", "--optimizer", "sgd", "--lr", "0.1", "--out", f"{out}/{devices}-{batch}",
                             "--no-progress", "--no-plots"])
        command[f"{devices} devices, batch {batch}"] = {"code": code, "stderr": err.getvalue()}
    print(json.dumps({
        "devices": jax.device_count(),
        "largest_difference": max(float(np.max(np.abs(np.asarray(a) - np.asarray(b)) / (1 + np.abs(np.asarray(a)))))
                                  for a, b in zip(one, four)),
        "val_loss": [r.history[-1]["val_loss"] for r in runs.values()],
        "all_reduce": "all-reduce" in hlo,
        "sharded_params": len(runs[4].state.params[0].W.sharding.device_set),
        "command": command,
        "one_device_params": leaves(runs[None]),
        "trials": {"shape": list(searched[4][1]["loss"].shape), "largest_difference": largest_gap(searched),
                   "largest_difference_with_batchnorm": largest_gap(with_batchnorm),
                   "sharded_over": len(jax.tree.leaves(searched[4][0].params)[0].sharding.device_set)},
    }))
""")

TWO_PROCESSES = textwrap.dedent("""
    import sys
    import jax
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(coordinator_address=f"localhost:{sys.argv[2]}", num_processes=2,
                               process_id=int(sys.argv[1]))  # before any array exists
""") + PROBLEM + textwrap.dedent("""
    result = train_on(2)
    print(json.dumps({"devices": jax.device_count(), "local_devices": jax.local_device_count(),
                      "params": leaves(result)}))
""")


@pytest.fixture(scope="module")
def four_devices(tmp_path_factory):
    """What the script above prints, run once on four forced host devices."""
    out = tmp_path_factory.mktemp("runs")
    env = os.environ | {"XLA_FLAGS": "--xla_force_host_platform_device_count=4"}
    done = subprocess.run([sys.executable, "-c", FOUR_DEVICES, str(out)], env=env, capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1]) | {"out": out}


def test_four_devices_train_like_one_up_to_reassociation(four_devices):
    """Batch norm and dropout included, in float64: the same parameters and running statistics after
    three epochs to 1e-13 (2e-16 measured). SGD, because Adam turns the rounding noise of an exactly
    zero gradient (the bias before batch norm) into a step of the learning rate's size."""
    result = four_devices
    assert result["devices"] == 4 and result["all_reduce"] and result["sharded_params"] == 4
    assert result["largest_difference"] < 1e-13
    assert result["val_loss"][0] == pytest.approx(result["val_loss"][1], rel=1e-12)


def test_fnn_train_devices_splits_the_minibatch_and_matches_one_device(four_devices):
    """``fnn train --devices 2`` ends where the one-device run ends (float64, SGD); an uneven batch is refused."""
    command = four_devices["command"]
    assert command["1 devices, batch 64"]["code"] == command["2 devices, batch 64"]["code"] == 0
    runs = [json.loads((four_devices["out"] / name / "run.json").read_text()) for name in ("1-64", "2-64")]
    assert runs[1]["test"]["loss"] == pytest.approx(runs[0]["test"]["loss"], rel=1e-12)
    assert command["2 devices, batch 63"] == {
        "code": 2, "stderr": "fnn train: error: --devices: run: expected a batch_size divisible by the 2 devices, "
                             "got 63; try 62\n"}


def test_search_trials_split_over_four_devices_score_like_one_device(four_devices):
    """Three trials (lr, seed and dropout rate) on four devices, padded with a copy of the last: the same
    validation curves as on one device, and the trial axis lives on all four devices."""
    assert four_devices["trials"]["shape"] == [2, 3] and four_devices["trials"]["sharded_over"] == 4
    assert four_devices["trials"]["largest_difference"] <= 1e-13


def test_search_trials_with_batch_norm_split_over_four_devices_score_like_one_device_to_1e_10(four_devices):
    """With batch norm the sharded program sums each trial's batch statistics in another order, so the
    validation curves agree to rounding of a larger sum, not to 1e-13: printed by this test's script."""
    assert four_devices["trials"]["largest_difference_with_batchnorm"] <= 1e-10


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def test_two_processes_under_jax_distributed_train_like_one_device(four_devices):
    """Two processes of one CPU device each, joined by ``jax.distributed.initialize`` over localhost
    (gloo collectives): the mesh spans both, and each ends with the one-device parameters."""
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    port = str(_free_port())
    processes = [subprocess.Popen([sys.executable, "-c", TWO_PROCESSES, str(i), port], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2)]
    outputs = [p.communicate(timeout=240) for p in processes]
    for process, (_, err) in zip(processes, outputs):
        assert process.returncode == 0, err
    for out, _ in outputs:
        result = json.loads(out.strip().splitlines()[-1])
        assert result["devices"] == 2 and result["local_devices"] == 1
        for got, one in zip(result["params"], four_devices["one_device_params"]):
            np.testing.assert_allclose(got, one, rtol=1e-13, atol=1e-13)


def test_a_mesh_over_more_devices_than_jax_sees_is_refused():
    with pytest.raises(ValueError, match=r"batch_mesh: expected devices <= 1 .*xla_force_host_platform_device_count"):
        parallel.batch_mesh(jax.device_count() + 1)
    with pytest.raises(ValueError, match="batch_mesh: expected devices to be a positive int, got 0"):
        parallel.batch_mesh(0)


def test_a_batch_that_does_not_split_evenly_is_refused():
    mesh = parallel.batch_mesh(1)
    parallel.check_batch_size("fit", 7, mesh)
    fake = type("Mesh", (), {"size": 4})()
    with pytest.raises(ValueError, match="fit: expected a batch_size divisible by the 4 devices, got 30; try 28"):
        parallel.check_batch_size("fit", 30, fake)


def test_without_a_mesh_nothing_is_constrained():
    tree = {"x": jax.numpy.ones(3)}
    assert parallel.constrain_batch(None, tree) is tree



@pytest.mark.parametrize("flags, message", [
    (["--devices", "2"], "--devices: batch_mesh: expected devices <= 1"),
    (["--devices", "0"], "--devices: expected devices to be a positive int, got 0"),
])
def test_bad_device_settings_are_named(flags, message, tmp_path, capsys):
    from fnn import cli

    assert cli.main(["train", *flags, "--epochs", "1", "--out", str(tmp_path), "--no-progress", "--no-plots"]) == 2
    assert message in capsys.readouterr().err


def test_replicate_across_processes_takes_arrays_keys_and_numbers(monkeypatch):
    """The several-process path of ``replicate``, run in this one process."""
    monkeypatch.setattr(parallel.jax, "process_count", lambda: 2)
    tree = {"x": np.arange(6.0).reshape(2, 3), "n": 1.5, "key": jax.random.key(3), "empty": np.zeros((0, 2))}
    placed = parallel.replicate(parallel.batch_mesh(1), tree)
    np.testing.assert_array_equal(placed["x"], tree["x"])
    assert float(placed["n"]) == 1.5 and placed["empty"].shape == (0, 2)
    np.testing.assert_array_equal(jax.random.key_data(placed["key"]), jax.random.key_data(tree["key"]))
    assert placed["x"].sharding == parallel.replicated(parallel.batch_mesh(1))
