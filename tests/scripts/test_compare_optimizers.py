import json


def test_smoke_with_a_tiny_config(load_script, tmp_path, capsys):
    compare = load_script("compare_optimizers")
    config = compare.parse(["--steps", "5", "--epochs", "1", "--out", str(tmp_path)])
    results = compare.main(config)
    assert set(results["final_value"]) == {"ill-conditioned quadratic", "rosenbrock", "beale", "saddle"}
    assert set(results["digits"]) == set(compare.RATES["beale"])
    assert {"newton", "l-bfgs"} <= set(results["final_value"]["rosenbrock"])
    for name in ("paths.png", "digits.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
    assert json.loads((tmp_path / "results.json").read_text())["digits"]["adam"]["train_loss"]
    assert "wrote" in capsys.readouterr().out


def test_every_optimizer_has_a_rate_on_every_function(load_script):
    from fnn import optim
    from fnn.optim import landscapes

    compare = load_script("compare_optimizers")
    assert set(compare.RATES) == set(landscapes.FUNCTIONS)
    assert all(set(rates) == set(optim.BY_NAME) for rates in compare.RATES.values())
