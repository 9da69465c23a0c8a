import json

import pytest

from fnn import cli
from fnn.experiments import registry


@pytest.mark.parametrize("argv", [["experiment"], ["experiment", "--list"]])
def test_without_a_name_the_experiments_are_listed(argv, capsys):
    assert cli.main(argv) == 0
    assert capsys.readouterr().out.strip() == registry.listing()


def test_an_experiment_runs_from_the_command_line(tmp_path, capsys):
    argv = ["experiment", "schedules", "--size", "small", "--set", "steps=20", "--out", str(tmp_path), "--no-progress"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "staircase: eta at t = 0, last: [0.1, 0.1]\n" in out and f"wrote {tmp_path / 'schedules.png'}" in out
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["config"] == {"steps": 20} and len(saved["curves"]["cosine_restarts"]) == 20


def test_an_unknown_name_is_a_one_line_error_listing_the_experiments(capsys):
    assert cli.main(["experiment", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fnn experiment: error: experiment: unknown experiment 'nope'; expected one of batchnorm, ")
    assert err.count("\n") == 1


def test_a_setting_without_a_value_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["experiment", "he", "--set", "depth"])
    assert stop.value.code == 2 and "expected FIELD=VALUE like epochs=10, got 'depth'" in capsys.readouterr().err
