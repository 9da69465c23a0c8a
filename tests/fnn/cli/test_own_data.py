"""``fnn train --data FILE --target COLUMN``: the user's own table, and ``fnn predict`` on its run."""

import csv
import json

import numpy as np
import pytest
from sklearn.datasets import load_digits

from fnn import cli, run

QUICK = ["--hidden", "16", "--epochs", "3", "--no-progress"]


def write_csv(path, header, rows):
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def digits_csv(tmp_path_factory):
    """The digits as a user's CSV file: 64 pixel columns and the digit, the target, between them."""
    digits = load_digits()
    header = [f"p{i}" for i in range(32)] + ["digit"] + [f"p{i}" for i in range(32, 64)]
    rows = [[*x[:32], t, *x[32:]] for x, t in zip(digits.data.astype(int).tolist(), digits.target.tolist())]
    return write_csv(tmp_path_factory.mktemp("data") / "digits.csv", header, rows)


def test_a_csv_of_the_digits_trains_exactly_like_the_built_in_digits(digits_csv, tmp_path, capsys):
    """Same split, same scaling fitted on the training split, same classes: the same parameters."""
    assert cli.main(["train", *QUICK, "--out", str(tmp_path / "builtin")]) == 0
    assert cli.main(["train", *QUICK, "--data", str(digits_csv), "--target", "digit", "--out", str(tmp_path / "own")]) == 0
    out = capsys.readouterr().out
    assert f"fnn train: {digits_csv}, target digit (classification, 10 classes) (train 1079, val 359, test 359)" in out
    assert "warning: these feature columns hold one value in every training row and tell the model nothing: p0" in out
    with np.load(tmp_path / "builtin" / "params.npz") as builtin, np.load(tmp_path / "own" / "params.npz") as own:
        assert all(np.array_equal(builtin[k], own[k]) for k in builtin.files)
    record = json.loads((tmp_path / "own" / "run.json").read_text())
    assert record["labels"] == list(range(10)) and record["features"][32] == "p32"
    assert record["config"]["dataset"] == "file" and record["config"]["target_type"] == "classification"


def test_text_labels_are_predicted_from_columns_named_in_any_order(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    kinds = np.where(X[:, 0] + X[:, 1] > 0, "up", "down")
    data = write_csv(tmp_path / "t.csv", ["a", "b", "kind", "c"], [[*x[:2], k, x[2]] for x, k in zip(X, kinds)])
    assert cli.main(["train", *QUICK, "--epochs", "60", "--lr", "0.01", "--data", str(data), "--target", "kind",
                     "--out", str(tmp_path / "run")]) == 0
    assert "    down " in capsys.readouterr().out  # the report names the classes
    new = write_csv(tmp_path / "new.csv", ["c", "kind", "b", "a"], [[0, "?", 2, 2], [0, "?", -2, -2]])
    assert cli.main(["predict", str(tmp_path / "run"), str(new)]) == 0
    assert capsys.readouterr().out == "up\ndown\n"
    model = run.load(tmp_path / "run")
    assert model.predict(np.array([[2.0, 2.0, 0.0]])).tolist() == ["up"]


def test_a_real_valued_target_is_regression_unless_told_otherwise(tmp_path, capsys):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(100, 2))
    data = write_csv(tmp_path / "r.csv", ["x1", "x2", "price"], [[*x, 100 + 10 * x[0] + 0.5] for x in X])
    assert cli.main(["train", *QUICK, "--data", str(data), "--target", "price", "--print-config"]) == 0
    assert json.loads(capsys.readouterr().out)["target_type"] == "regression"
    np.savez(tmp_path / "r.npz", X=X, y=np.round(X[:, 0]))
    for target_type in ("classification", "regression"):
        assert cli.main(["train", *QUICK, "--data", str(tmp_path / "r.npz"), "--target-type", target_type,
                         "--out", str(tmp_path / target_type)]) == 0
    out = capsys.readouterr().out
    assert "loss J = softmax_cross_entropy" in out and "loss J = mse" in out
    np.save(tmp_path / "rows.npy", X[:4])
    assert cli.main(["predict", str(tmp_path / "regression"), str(tmp_path / "rows.npy")]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 4


def test_mistakes_with_a_data_file_are_one_line_errors_naming_the_flag(tmp_path, capsys):
    data = write_csv(tmp_path / "t.csv", ["a", "colour", "y"], [[1, "red", 0], [2, "blue", 1]])
    good = write_csv(tmp_path / "g.csv", ["a", "y"], [[1, 0], [2, 1], [3, 0], [4, 1], [5, 0]])
    cases = {("--data", str(data), "--target", "y"): "--data: column 'colour' of",
             ("--data", str(good), "--target", "z"): "--target: expected one of the columns of",
             ("--data", str(good)): "--target: a CSV file names its columns",
             ("--data", str(good), "--target", "y", "--dataset", "iris"): "--data: is the file of the file data set",
             ("--target", "y",): "--target: is about the data file: expected data",
             ("--data", str(good), "--target", "y", "--classes", "0-1"): "--classes: keeps part of a built-in data set",
             ("--data", str(good), "--target", "y", "--model", "cnn"): "--model: ",
             ("--data", str(tmp_path / "none.csv"), "--target", "y"): "--data: expected the file"}
    for flags, message in cases.items():
        assert cli.main(["train", *flags, "--print-config"]) == 2, flags
        err = capsys.readouterr().err
        assert err.startswith("fnn train: error: ") and message in err and err.count("\n") == 1, err


def test_a_search_trains_on_a_data_file(tmp_path, capsys):
    rows = [[i % 7, (i * 3) % 5, "ab"[i % 2]] for i in range(60)]
    data = write_csv(tmp_path / "s.csv", ["u", "v", "label"], rows)
    assert cli.main(["search", "--data", str(data), "--target", "label", "--space", "lr=grid:0.01,0.1", "--method",
                     "grid", "--hidden", "4", "--epochs", "1", "--out", str(tmp_path / "s"), "--no-progress"]) == 0
    assert json.loads((tmp_path / "s" / "best" / "run.json").read_text())["labels"] == ["a", "b"]


def test_proba_prints_each_class_s_probability_under_a_header_naming_the_classes(tmp_path, capsys):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(90, 2))
    data = write_csv(tmp_path / "p.csv", ["a", "b", "size"], [[*x, ("S", "M", "L")[i % 3]] for i, x in enumerate(X)])
    assert cli.main(["train", *QUICK, "--data", str(data), "--target", "size", "--out", str(tmp_path / "run")]) == 0
    capsys.readouterr()
    assert cli.main(["predict", str(tmp_path / "run"), str(data), "--proba"]) == 0
    header, *rows = capsys.readouterr().out.splitlines()
    model = run.load(tmp_path / "run")
    assert header == "L,M,S" and model.class_names == ("L", "M", "S") and len(rows) == 90
    probabilities = np.array([[float(v) for v in row.split(",")] for row in rows])
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-6)
    expected = np.asarray(model.predict_proba(X))
    np.testing.assert_allclose(probabilities, expected, rtol=1e-8)
    assert [model.class_names[k] for k in expected.argmax(axis=1)] == model.predict(X).tolist()
    assert cli.main(["predict", str(tmp_path / "run"), str(data), "--proba", "--output", str(tmp_path / "proba.csv")]) == 0
    assert (tmp_path / "proba.csv").read_text().startswith("L,M,S\n")
    assert cli.main(["predict", str(tmp_path / "run"), str(data), "--proba", "--output", str(tmp_path / "proba.npz")]) == 0
    with np.load(tmp_path / "proba.npz") as written:
        assert written["columns"].tolist() == ["L", "M", "S"] and written["predictions"].shape == (90, 3)
    assert cli.main(["predict", str(tmp_path / "run"), str(data), "--proba", "--output", str(tmp_path / "proba.npy")]) == 2


def test_proba_of_a_regression_run_is_refused_naming_the_flag(tmp_path, capsys):
    np.savez(tmp_path / "r.npz", X=np.arange(40.0).reshape(20, 2), y=np.linspace(0, 1, 20) ** 2)
    assert cli.main(["train", *QUICK, "--data", str(tmp_path / "r.npz"), "--out", str(tmp_path / "run")]) == 0
    np.save(tmp_path / "rows.npy", np.zeros((2, 2)))
    capsys.readouterr()
    assert cli.main(["predict", str(tmp_path / "run"), str(tmp_path / "rows.npy"), "--proba"]) == 2
    assert capsys.readouterr().err == ("fnn predict: error: --proba: expected a run that classifies rows, got a mlp run "
                                       "with real-valued targets\n")


def test_the_data_set_of_a_data_file_is_file_in_a_config_file_and_refused_beside_another_in_search(tmp_path, capsys):
    data = write_csv(tmp_path / "d.csv", ["a", "y"], [[i, i % 2] for i in range(10)])
    (tmp_path / "c.toml").write_text(f'data = "{data}"\ntarget = "y"\n')
    assert cli.main(["train", "--config", str(tmp_path / "c.toml"), "--print-config"]) == 0
    assert json.loads(capsys.readouterr().out)["dataset"] == "file"
    assert cli.main(["search", "--dataset", "iris", "--data", str(data), "--target", "y", "--space",
                     "lr=grid:0.1"]) == 2
    assert "--data: is the file of the file data set: expected both or neither" in capsys.readouterr().err
