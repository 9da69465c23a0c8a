import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "device_check.sh"


@pytest.mark.slow
def test_the_device_check_runs_every_step_at_the_tiny_size(tmp_path):
    """``SIZE=tiny scripts/device_check.sh OUT`` on the CPU (about two minutes): every step runs and
    leaves its output; on a machine with a GPU the same script runs at full size."""
    env = os.environ | {"SIZE": "tiny", "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run(["bash", str(SCRIPT), str(tmp_path)], env=env, check=True, capture_output=True)
    assert "devices: [CpuDevice(id=0)]" in (tmp_path / "devices.txt").read_text()
    for model in ("mlp", "cnn", "conv-autoencoder", "gru", "rnn-lm"):
        assert (tmp_path / f"train-{model}" / "curves.png").exists(), model
    for bench in ("train-step", "cnn", "rnn", "search-64", "search-8"):
        assert (tmp_path / f"bench-{bench}.json").exists(), bench
