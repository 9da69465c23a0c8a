"""``fnn train --config FILE`` and ``--print-config``."""

import json

import numpy as np

from fnn import cli

QUICK = ["--hidden", "8", "--epochs", "2", "--no-progress", "--no-plots"]


def test_a_run_reruns_from_its_own_config_json_bit_for_bit(tmp_path, capsys):
    assert cli.main(["train", *QUICK, "--lr", "0.01", "--out", str(tmp_path / "first")]) == 0
    assert cli.main(["train", "--config", str(tmp_path / "first" / "config.json"), "--out", str(tmp_path / "again"),
                     "--no-progress", "--no-plots"]) == 0
    assert (tmp_path / "first" / "config.json").read_text() == (tmp_path / "again" / "config.json").read_text()
    with np.load(tmp_path / "first" / "params.npz") as first, np.load(tmp_path / "again" / "params.npz") as again:
        assert first.files == again.files and all(np.array_equal(first[k], again[k]) for k in first.files)


def test_flags_change_single_settings_of_the_file_and_print_config_trains_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "run.toml").write_text('hidden = [16]\noptimizer = "momentum"\nepochs = 7\n\n[hyper]\nrho = 0.8\n')
    assert cli.main(["train", "--config", "run.toml", "--lr", "0.05", "--rho", "0.95", "--print-config"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert (printed["hidden"], printed["optimizer"], printed["epochs"]) == ([16], "momentum", 7)
    assert (printed["lr"], printed["hyper"]) == (0.05, {"rho": 0.95})
    assert not (tmp_path / "runs").exists()
    (tmp_path / "printed.json").write_text(json.dumps(printed))  # what it prints is a --config file
    assert cli.main(["train", "--config", "printed.json", "--print-config"]) == 0
    assert json.loads(capsys.readouterr().out) == printed


def test_config_mistakes_are_one_line_errors(tmp_path, capsys):
    (tmp_path / "bad.json").write_text(json.dumps({"hidden": [8], "batch_size": 0}))
    (tmp_path / "typo.json").write_text(json.dumps({"learning_rate": 0.1}))
    cases = {("--config", str(tmp_path / "bad.json")): "--batch-size: expected batch_size to be a positive int, got 0",
             ("--config", str(tmp_path / "typo.json")): "got unknown ones: learning_rate",
             ("--config", str(tmp_path / "bad.json"), "--resume", str(tmp_path)): "expected one of them, got both",
             ("--config", str(tmp_path / "none.toml")): "--config: expected the file"}
    for flags, message in cases.items():
        assert cli.main(["train", *flags, "--print-config"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("fnn train: error: ") and message in err and err.count("\n") == 1, err
