"""A finished run is a model you can use: ``fnn.run.load``, ``fnn.run.evaluate``, ``fnn predict``, ``fnn evaluate``."""

import dataclasses
import json
import re
import shutil

import jax
import numpy as np
import pytest

from fnn import cli, run
from fnn.data.prepare import prepare
from fnn.run.assembly import load_data, target_units
from fnn.run.configuration import RunConfig


def raw_test_rows(config: RunConfig):
    """The run's test split in the data set's own units (the split does not depend on the scaling)."""
    return prepare(config.dataset, key=jax.random.split(jax.random.key(config.seed), 3)[0],
                   val_fraction=config.val_fraction, scaling="none").test


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    """The network of ``fnn train --batchnorm before --dropout 0.2`` (its epoch is compiled once for both)."""
    out = tmp_path_factory.mktemp("digits")
    config = RunConfig(batchnorm="before", dropout=0.2, epochs=2, seed=3)
    run.run(config, out=out, plots=False)
    return out, config


def test_a_loaded_run_predicts_raw_rows_like_the_trained_model_on_scaled_ones(digits_run):
    out, config = digits_run
    model = run.load(out)
    X_raw, y = raw_test_rows(config)
    X_scaled = load_data(config).test[0]
    assert not np.allclose(X_raw, X_scaled)  # the saved scaler has work to do
    expected = model.objective.predict(model.params, X_scaled, model.model_state)
    np.testing.assert_array_equal(model.predict(X_raw), expected)
    assert float(np.mean(np.asarray(model.predict(X_raw)) == np.asarray(y))) == pytest.approx(
        json.loads((out / "run.json").read_text())["test"]["accuracy"])
    assert model.predict(X_raw[0]).shape == (1,)  # one row


def test_evaluate_recomputes_the_stored_test_scores(digits_run):
    out, _ = digits_run
    test, report = run.evaluate(out)
    assert test == json.loads((out / "run.json").read_text())["test"]
    assert report["macro"]["support"] == 359


def test_a_regression_run_predicts_in_the_targets_units(tmp_path):
    """The network and batch size of ``fnn train``'s diabetes test: its epoch is compiled once for both."""
    config = RunConfig(dataset="diabetes", loss="mse", hidden=(32,), batch_size=32, epochs=3)
    run.run(config, out=tmp_path, plots=False)
    X_raw = raw_test_rows(config)[0]
    data = load_data(config)
    y = np.asarray(target_units(data, data.test[1]))  # the targets are standardised whatever the scaling
    predictions = np.asarray(run.load(tmp_path).predict(X_raw))
    rmse = float(np.sqrt(np.mean((predictions - y) ** 2)))
    stored = json.loads((tmp_path / "run.json").read_text())["test"]["rmse_in_target_units"]
    assert rmse == pytest.approx(stored, rel=1e-5) and rmse > 30  # diabetes targets span 25..346


def test_bad_inputs_and_unfinished_runs_are_named(digits_run, tmp_path):
    out, _ = digits_run
    with pytest.raises(ValueError, match=r"predict: expected rows of 64 features, shape \(N, 64\), got shape \(2, 3\)"):
        run.load(out).predict(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"predict: expected finite inputs"):
        run.load(out).predict(np.full((1, 64), np.nan))
    (tmp_path / "config.json").write_text(json.dumps(RunConfig().to_dict()))
    with pytest.raises(ValueError, match=r"load: expected a finished run in .*, got no run.json, params.npz, model.npz"):
        run.load(tmp_path)


def test_predict_and_evaluate_from_the_command_line(digits_run, tmp_path, capsys):
    out, config = digits_run
    X_raw, _ = raw_test_rows(config)
    expected = np.asarray(run.load(out).predict(X_raw[:7]))
    np.savetxt(tmp_path / "rows.csv", np.asarray(X_raw[:7]), delimiter=",")
    capsys.readouterr()
    assert cli.main(["predict", str(out), str(tmp_path / "rows.csv")]) == 0
    assert capsys.readouterr().out.split() == [str(v) for v in expected]
    np.save(tmp_path / "rows.npy", np.asarray(X_raw[:7]))
    assert cli.main(["predict", str(out), str(tmp_path / "rows.npy"), "--output", str(tmp_path / "p.npy")]) == 0
    np.testing.assert_array_equal(np.load(tmp_path / "p.npy"), expected)
    assert cli.main(["evaluate", str(out)]) == 0
    accuracy = json.loads((out / "run.json").read_text())["test"]["accuracy"]
    assert f"test accuracy {accuracy:.4f}" in capsys.readouterr().out
    (tmp_path / "words.csv").write_text("a,b\n")
    assert cli.main(["predict", str(out), str(tmp_path / "words.csv")]) == 2
    assert capsys.readouterr().err.startswith(f"fnn predict: error: predict: expected {tmp_path / 'words.csv'} to be a")


def test_a_failed_overwrite_keeps_the_finished_model_whole(digits_run, tmp_path, capsys):
    out, config = shutil.copytree(digits_run[0], tmp_path / "run"), digits_run[1]
    rows = np.random.default_rng(0).uniform(0, 16, (5, 64))
    expected = np.asarray(run.load(out).predict(rows))
    diverging = ["train", "--optimizer", "sgd", "--lr", "1e30", "--overwrite", "--out", str(out),
                 "--no-progress", "--no-plots"]
    assert cli.main(diverging) == 2
    model = run.load(out)  # run.json still describes the parameters beside it
    assert model.config == config and np.array_equal(model.predict(rows), expected)


def test_a_run_json_with_files_of_another_training_is_refused(digits_run, tmp_path):
    out = shutil.copytree(digits_run[0], tmp_path / "run")
    other = run.run(dataclasses.replace(digits_run[1], seed=4), out=tmp_path / "other", plots=False)
    shutil.copy(other.files["model"], out / "model.npz")  # as a crash between two renames of fnn.run.trained.save would
    with pytest.raises(ValueError, match=rf"^load: {re.escape(str(out / 'model.npz'))} is not the file "
                                         rf"{re.escape(str(out / 'run.json'))} was written with "
                                         r"\(its SHA-256 differs\)"):
        run.load(out)
    record = json.loads((out / "run.json").read_text())
    del record["sha256"]
    (out / "run.json").write_text(json.dumps(record))
    with pytest.raises(ValueError, match=r"load: expected config, in_shape, output_units and sha256 in .*run.json, "
                                         r"got \[.*\]; a run made by an older fnn has to be trained again"):
        run.load(out)


@pytest.mark.parametrize("options, message", [
    ({"length": 2_000_000_000}, r"sample: expected length to be an int in \[1, 100000\], got 2000000000"),
    ({"seed": 10**23}, r"sample: expected seed to be an int in \[0, 4294967295\]"),
    ({"temperature": float("inf")}, "sample: expected temperature to be a finite number, got inf"),
])
def test_sample_in_python_checks_its_numbers_like_the_command(options, message, digits_run):
    with pytest.raises(ValueError, match=message):
        run.load(digits_run[0]).sample("def ", **options)
