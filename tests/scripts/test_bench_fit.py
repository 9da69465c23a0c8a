import json


def test_smoke_with_a_tiny_config(load_script, capsys, tmp_path):
    bench = load_script("bench_fit")
    config, path = bench.parse(["--epochs", "2", "--repeats", "1", "--json", str(tmp_path / "r.json")])
    assert path.endswith("r.json") and config == bench.Config(epochs=2, repeats=1)
    results = bench.main(config)
    assert set(results["fit_seconds"]) == {"first fit", "second fit"}
    assert set(results["over_bare"]) == {"fit, train + val scores", "fit, val scores", "fit, no scores"}
    assert all(ratio > 0 for ratio in results["over_bare"].values())
    assert "ms/epoch" in capsys.readouterr().out
    json.dumps(results)
