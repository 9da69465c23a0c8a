import json


def test_smoke_with_a_tiny_config(load_script, capsys, tmp_path):
    bench = load_script("bench_search")
    config, path = bench.parse(["--trials", "2", "--width", "8", "--epochs", "1", "--repeats", "1",
                                "--json", str(tmp_path / "r.json")])
    assert path.endswith("r.json") and config == bench.Config(trials=2, width=8, epochs=1, repeats=1)
    results = bench.main(config)
    assert set(results["epoch_seconds"]) == {"one trial", "2 trials, vmapped"}  # one device here
    assert set(results["all_over_one"]) == {"2 trials, vmapped"} and results["all_over_one"]["2 trials, vmapped"] > 0
    assert all(value > 0 for value in results["gflops"].values())
    out = capsys.readouterr().out
    assert "x one trial (goal: at most 8x)" in out
    assert f"floor: 2 times one trial's FLOPs at the matmul peak take {results['floor_at_peak']:.1f}x" in out
    json.dumps(results)
