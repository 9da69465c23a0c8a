import json
import os
import subprocess
import sys

import pytest


@pytest.fixture
def page_command(tmp_path):
    """What ``fnn experiment NAME [--set FIELD=VALUE ...]`` writes to ``results.json``, run as the
    experiments page shows it: in a fresh process, float32, without the test session's float64 and
    strict promotion (which move the last digits of a long run)."""

    def run(name: str, *settings: str) -> dict:
        sets = [part for setting in settings for part in ("--set", setting)]
        command = [sys.executable, "-m", "fnn.cli", "experiment", name, *sets, "--out", str(tmp_path / name),
                   "--no-progress"]
        subprocess.run(command, check=True, capture_output=True, env=os.environ | {"JAX_ENABLE_X64": "0"})
        return json.loads((tmp_path / name / "results.json").read_text())

    return run
