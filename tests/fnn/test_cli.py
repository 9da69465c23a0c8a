import json
import subprocess
import sys

import jax.numpy as jnp
import numpy as np
import pytest

from fnn import checkpoint, cli
from fnn.models import mlp
from reference import audit


def test_default_run_reaches_95_percent_on_digits_and_writes_its_outputs(tmp_path, capsys):
    assert cli.main(["train", "--out", str(tmp_path), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "MLP 64-128-128-10 relu, adam lr=0.001, batch 64" in out
    assert "train loss train acc  val loss   val acc" in out
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["test"]["accuracy"] >= 0.95
    assert f"test accuracy {run['test']['accuracy']:.4f}" in out
    history = json.loads((tmp_path / "history.json").read_text())
    assert len(history) == 30 and history[-1]["val_accuracy"] >= 0.9
    assert (tmp_path / "history.csv").read_text().startswith("epoch,train_loss")
    assert (tmp_path / "curves.png").read_bytes()[:4] == b"\x89PNG"
    params = checkpoint.load_params(tmp_path / "params.npz", mlp.init(__import__("jax").random.key(0), mlp.MLPConfig((64, 128, 128, 10))))
    assert params.dense[0].W.dtype == jnp.float32


def test_manual_and_auto_gradients_give_the_same_parameters_after_one_epoch(tmp_path):
    runs = {}
    for gradients in ("auto", "manual"):
        out = tmp_path / gradients
        args = ["train", "--epochs", "1", "--dtype", "float64", "--gradients", gradients, "--out", str(out), "--no-progress"]
        assert cli.main(args) == 0
        with np.load(out / "params.npz") as f:
            runs[gradients] = {k: f[k] for k in f.files}
    for name, auto in runs["auto"].items():
        assert auto.dtype == np.float64
        np.testing.assert_allclose(runs["manual"][name], auto, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("flag", ["--dataset", "--optimizer", "--gradients", "--activation"])
def test_a_wrong_flag_value_is_one_line_listing_the_choices(flag, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", flag, "nonsense"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "invalid choice: 'nonsense' (choose from" in err and "Traceback" not in err


def test_the_dataset_choices_are_named():
    result = subprocess.run([sys.executable, "-m", "fnn.cli", "train", "--dataset", "mnist"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 2
    err = result.stderr.strip()
    assert "\n" not in err and err.startswith("fnn train: error: argument --dataset: invalid choice: 'mnist' (choose from")
    assert all(name in err for name in ("digits", "xor", "spirals", "moons"))


def test_a_bad_value_is_a_one_line_error_not_a_traceback(tmp_path, capsys):
    assert cli.main(["train", "--batch-size", "5000", "--epochs", "1", "--out", str(tmp_path), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "fnn train: error: minibatch_indices: expected at least batch_size=5000 samples, got n=1079; lower --batch-size"
    assert cli.main(["train", "--lr", "-1", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == "fnn train: error: adam: expected learning_rate in [0, inf], got -1.0"


def test_gradcheck_prints_the_table_and_fails_on_a_bad_row(monkeypatch, capsys):
    good = audit.Row("layer", "dense", 1e-16, 1e-10, kinked=False)
    monkeypatch.setattr(audit, "audit", lambda key: [good])
    assert cli.main(["gradcheck"]) == 0
    assert "1 of 1 hand-derived gradients agree" in capsys.readouterr().out
    monkeypatch.setattr(audit, "audit", lambda key: [good, audit.Row("loss", "mse", 1e-3, 1e-3, kinked=False)])
    assert cli.main(["gradcheck"]) == 1
    assert "out of tolerance: mse" in capsys.readouterr().out
