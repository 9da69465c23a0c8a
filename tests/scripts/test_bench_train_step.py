import json


def test_smoke_with_a_tiny_config(load_script, capsys, tmp_path):
    bench = load_script("bench_train_step")
    config, path = bench.parse(["--steps-per-epoch", "2", "--step-calls", "1", "--repeats", "1",
                                "--json", str(tmp_path / "r.json")])
    assert path.endswith("r.json") and config.repeats == 1
    config = bench.Config(models=(((6, 8, 3), 4),), steps_per_epoch=2, step_calls=1, epoch_calls=1, repeats=1)
    results = bench.main(config)
    (model,) = results["models"]
    assert model["model"] == "6-8-3" and set(model["step_seconds"]) == {"autodiff", "hand-derived"}
    assert model["hand_over_auto_epoch"] > 0 and results["matmul_gflops"] > 0 and model["monitor_overhead_epoch"] > 0
    assert model["fnn_over_scan_epoch"] > 0
    out = capsys.readouterr().out
    assert "hand / auto" in out and "fnn / scan" in out
    json.dumps(results)


def test_training_flops_is_six_times_weights_times_samples():
    from fnn.bench.timing import training_flops

    assert training_flops((784, 1024, 10), 256) == 6 * (784 * 1024 + 1024 * 10) * 256
