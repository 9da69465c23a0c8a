"""``fnn train --deterministic``: XLA's deterministic-ops flag, set before JAX starts and recorded in the run."""

import json
import os
import subprocess
import sys

import pytest

from fnn import run
from fnn.run import RunConfig
from fnn.run.settings import SettingError
from fnn.util import xla_flags


def test_the_command_sets_the_flag_before_jax_starts_records_it_and_reruns_from_config_json(tmp_path):
    """run() refuses a deterministic run unless the flag is set, so each command's success shows the
    flag was set before JAX started: typed, and then only read from the first run's config.json."""
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    first = [sys.executable, "-m", "fnn.cli", "train", "--deterministic", "--hidden", "8", "--epochs", "1",
             "--out", str(tmp_path / "first"), "--no-progress", "--no-plots"]
    subprocess.run(first, env=env, check=True, capture_output=True)
    assert json.loads((tmp_path / "first" / "config.json").read_text())["deterministic"] is True
    assert json.loads((tmp_path / "first" / "run.json").read_text())["config"]["deterministic"] is True
    again = [sys.executable, "-m", "fnn.cli", "train", "--config", str(tmp_path / "first" / "config.json"),
             "--out", str(tmp_path / "again"), "--no-progress", "--no-plots"]
    subprocess.run(again, env=env, check=True, capture_output=True)
    assert json.loads((tmp_path / "again" / "config.json").read_text())["deterministic"] is True


def test_a_deterministic_run_without_the_flag_is_refused_naming_it(tmp_path, monkeypatch):
    monkeypatch.setenv("XLA_FLAGS", "--xla_cpu_enable_fast_math=false")
    with pytest.raises(SettingError, match="deterministic: XLA reads its flags once, when JAX starts: expected "
                                           "XLA_FLAGS to hold --xla_gpu_deterministic_ops=true"):
        run.run(RunConfig(deterministic=True, hidden=(4,), epochs=1), out=tmp_path / "run", plots=False)


def test_the_flag_joins_the_flags_already_set(monkeypatch):
    monkeypatch.setenv("XLA_FLAGS", "--xla_force_host_platform_device_count=2")
    xla_flags.with_flag(xla_flags.DETERMINISTIC)
    xla_flags.with_flag(xla_flags.DETERMINISTIC)
    assert os.environ["XLA_FLAGS"] == "--xla_force_host_platform_device_count=2 --xla_gpu_deterministic_ops=true"
