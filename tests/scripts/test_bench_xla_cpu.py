import dataclasses
import json

import pytest


def test_smoke_with_a_tiny_config(load_script, capsys, tmp_path):
    bench = load_script("bench_xla_cpu")
    config, path = bench.parse(["--trials", "2", "--batch-size", "4", "--width", "8", "--size", "16", "--steps", "2",
                                "--channels", "2", "--repeats", "1", "--json", str(tmp_path / "r.json")])
    assert path.endswith("r.json") and config == bench.Config(trials=2, batch_size=4, width=8, size=16, steps=2,
                                                              channels=2, repeats=1)
    config = dataclasses.replace(config, permutation_sizes=(5, 1700))  # 1700: two rounds of sorting
    results = bench.main(config)
    assert set(results["products"]) == {"2 batched products", "one product, same FLOPs"}
    assert set(results["adam"]["ms"]) == {"Adam step", "moments alone"}
    adam = results["adam"]
    assert adam["loops"] and all(reads >= 1 for reads in adam["loops"])  # every loop reads the matrix it updates
    assert adam["passes"] == sum(reads + 1 for reads in adam["loops"]) >= 7
    assert adam["one_loop_floor_ms"] == pytest.approx(adam["ms"]["Adam step"] * 7 / adam["passes"], rel=1e-12)
    assert set(results["conv_weight_gradient_ms"]) == {"autodiff's dW", "fnn's dW"}
    assert set(results["permutation_us"]) == {5, 1700}
    for row in results["permutation_us"].values():
        assert set(row) == {"jax.random.permutation", "fnn's permutation"}
    assert "one loop of 7 passes" in capsys.readouterr().out
    json.dumps(results)

