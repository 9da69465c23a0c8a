"""Numbers out of range, inputs that would not fit in memory, and an edited run folder: every one a
one-line error naming the flag or file, from any subcommand, before anything is trained."""

import json

import pytest

from fnn import cli
from fnn.util import ranges

HUGE = "1" + "0" * 23


@pytest.mark.parametrize("argv, message", [
    (["train", "--epochs", HUGE], f"fnn train: error: --epochs: expected epochs to be an int in [1, 1000000], got {HUGE}"),
    (["train", "--steps", str(2**31)], "fnn train: error: --steps: expected steps to be an int in [1, 2147483647]"),
    (["sample", "RUN", "--length", "100000000000"],
     "fnn sample: error: --length: expected length to be an int in [1, 100000], got 100000000000"),
    (["sample", "RUN", "--length", "0"], "fnn sample: error: --length: expected length to be an int in [1, 100000]"),
    (["sample", "RUN", "--seed", HUGE], "fnn sample: error: --seed: expected seed to be an int in [0, 4294967295]"),
    (["sample", "RUN", "--temperature", "inf"], "fnn sample: error: --temperature: expected temperature to be a finite"),
    (["sample", "RUN", "--temperature", "0"], "fnn sample: error: --temperature: expected temperature in (0, inf]"),
    (["gradcheck", "--seed", "-1"], "fnn gradcheck: error: --seed: expected seed to be an int in [0, 4294967295]"),
    (["experiment", "he", "--seed", HUGE], "fnn experiment: error: --seed: expected seed to be an int in [0, 4294967295]"),
    (["experiment", "he", "--size", "small", "--set", "epochs=0"],
     "fnn experiment: error: experiment he: expected epochs to be an int in [1, 1000000], got 0"),
    (["search", "--space", "lr=grid:0.1", "--trials", "0"], "fnn search: error: --trials: expected trials to be an int"),
    (["search", "--space", "lr=grid:0.1", "--folds", "1"], "fnn search: error: --folds: expected folds to be an int in [2"),
    (["search", "--space", "lr=grid:0.1", "--seed", HUGE], "fnn search: error: --seed: expected seed to be an int in"),
])
def test_every_numeric_flag_of_every_subcommand_is_checked_by_one_table(argv, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1
    assert not any(tmp_path.iterdir())  # nothing ran


def _numeric_flags():
    from fnn.cli import flags

    cli.parser()
    for name, declared in flags.DECLARED.items():
        for action in declared.values():
            if action.type in (int, float) or getattr(action.type, "__name__", "") == "_int_tuple":
                yield name, action


def test_the_range_table_covers_every_numeric_flag():
    """An optimizer's own numbers (``--b1``, ``--eps``, ...) are checked by the optimizer and must be
    finite; every other number of every subcommand has its range in ``fnn.util.ranges.RANGES``."""
    flags = list(_numeric_flags())
    assert len(flags) > 30
    missing = [f"fnn {name} {action.option_strings[0]}" for name, action in flags
               if action.dest not in ranges.RANGES and not action.dest.startswith("hp_")]
    assert not missing, f"add these flags' ranges to fnn.util.ranges.RANGES: {missing}"


def test_a_model_too_large_for_memory_is_refused_with_the_estimate(tmp_path, capsys):
    """A petabyte: more than any machine has (``fnn.util.memory``'s own tests fix the memory available)."""
    argv = ["train", "--hidden", "1000000000000", "--out", str(tmp_path / "run"), "--no-progress", "--no-plots"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("fnn train: error: --hidden: run: expected a model that fits in the ")
    assert "GiB of memory available, got one that needs at least 1,396,983.9 GiB (75,000,000,000,010 float32 " \
           "parameters, their gradients and adam's state)" in err and err.count("\n") == 1
    assert not (tmp_path / "run" / "last.npz").exists()
    argv[2] = "1000000000"  # the troubleshooting page's example: over a terabyte
    assert cli.main(argv) == 2
    assert "needs at least 1,397.0 GiB (75,000,000,010 float32 parameters" in capsys.readouterr().err


def test_resume_refuses_a_config_json_edited_since_the_checkpoint(tmp_path, capsys):
    """The checkpoint carries the configuration it was trained with: another seed in config.json would
    continue the run on another data split."""
    assert cli.main(["train", "--epochs", "1", "--hidden", "8", "--out", str(tmp_path),
                     "--no-progress", "--no-plots"]) == 0
    config = json.loads((tmp_path / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps(config | {"seed": 1}))
    capsys.readouterr()
    assert cli.main(["train", "--epochs", "2", "--resume", str(tmp_path), "--no-progress", "--no-plots"]) == 2
    err = capsys.readouterr().err
    assert err == (f"fnn train: error: resume: {tmp_path / 'config.json'} has seed 1, but {tmp_path / 'last.npz'} was "
                   "trained with seed 0; put back the run's configuration (a resumed run continues the checkpoint as "
                   "it was trained) or start a new run\n")
    (tmp_path / "config.json").write_text(json.dumps(config))
    assert cli.main(["train", "--epochs", "2", "--resume", str(tmp_path), "--no-progress", "--no-plots"]) == 0


@pytest.mark.parametrize("classes, message", [
    ("3-1", "expected ranges from the lower label to the higher like 1-3, got '3-1'"),
    ("0-1000000000", "expected classes to be an int in [0, 65535], got 1000000000"),  # refused before it is spelled out
])
def test_a_reversed_or_huge_class_range_is_refused(classes, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", "--classes", classes])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == f"fnn train: error: argument --classes: {message}\n"
