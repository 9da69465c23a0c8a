"""Ctrl-C and SIGTERM sent to a real ``fnn train`` process, at start-up, mid-run and twice.

Each child sets SIGINT's disposition itself before running ``fnn``: a test suite started in the
background (``pytest &``) passes "ignore SIGINT" on to its children, and ``fnn`` keeps an
inherited "ignore", as programs should.
"""

import gc
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fnn import checkpoint, fit
from fnn.util import interrupts

TRAIN = [sys.executable, "-m", "fnn.cli", "train", "--no-progress"]
CHILD = "import runpy, signal; signal.signal(signal.SIGINT, signal.{}); runpy.run_module('fnn.cli', run_name='__main__')"
WAIT = 120


def start(*flags, sigint="default_int_handler") -> subprocess.Popen:
    """``fnn train FLAGS`` in a process whose SIGINT disposition is ``signal.<sigint>`` when fnn starts."""
    return subprocess.Popen([sys.executable, "-c", CHILD.format(sigint), "train", "--no-progress", *flags],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(condition, process) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)


def handlers_installed(process) -> bool:
    """``fnn`` catches SIGTERM once ``fnn.util.interrupts.handled`` is in place (Linux: /proc/PID/status)."""
    status = Path(f"/proc/{process.pid}/status").read_text()
    caught = int(re.search(r"SigCgt:\s*([0-9a-f]+)", status).group(1), 16)
    return bool(caught >> (signal.SIGTERM - 1) & 1)


def said(err: str) -> str:
    """fnn's one line on stderr (JAX may warn on lines of its own); never a traceback."""
    lines = [line for line in err.splitlines() if line.startswith("fnn")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def stopped_at(err: str, how: str, out: Path) -> int:
    line = re.fullmatch(rf"fnn train: {how} at epoch (\d+); resume with `fnn train --resume (.+)`", said(err))
    assert line and line.group(2) == str(out), err
    return int(line.group(1))


@pytest.mark.parametrize("signum, status, how, resumed", [(signal.SIGINT, 130, "interrupted", True),
                                                          (signal.SIGTERM, 143, "stopped by SIGTERM", False)])
def test_a_signal_mid_run_checkpoints_writes_the_history_and_the_run_resumes(signum, status, how, resumed, tmp_path):
    """The run stops after a complete epoch's bookkeeping, whichever signal; the resume is the same
    after either (checked once)."""
    out = tmp_path / "run"
    process = start("--epochs", "2000", "--out", str(out))
    wait_for((out / "last.npz").exists, process)  # an epoch is complete
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    assert process.returncode == status, err
    epoch = stopped_at(err, how, out)
    assert checkpoint.checkpoint_epoch(out / "last.npz") == epoch
    assert [r["epoch"] for r in json.loads((out / "history.json").read_text())] == list(range(1, epoch + 1))
    assert (out / "curves.png").exists() and not (out / "run.json").exists() and not (out / ".lock").exists()
    if resumed:
        resume = [*TRAIN, "--epochs", str(epoch + 1), "--resume", str(out)]
        assert subprocess.run(resume, capture_output=True).returncode == 0  # a process like the first: float32 state
        assert len(json.loads((out / "history.json").read_text())) == epoch + 1


def test_a_second_ctrl_c_while_the_run_saves_still_exits_130_saying_where_it_stopped(tmp_path):
    out = tmp_path / "run"
    process = start("--epochs", "2000", "--out", str(out))
    wait_for((out / "last.npz").exists, process)
    process.send_signal(signal.SIGINT)
    time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    epoch = stopped_at(err, "interrupted", out)
    assert checkpoint.checkpoint_epoch(out / "last.npz") == epoch and not (out / ".lock").exists()


@pytest.mark.parametrize("delay", [0.0, 0.5])
def test_ctrl_c_during_start_up_stops_with_130_and_one_line(delay, tmp_path):
    """Sent while fnn imports JAX, loads the data or compiles (a Ctrl-C there used to land in JAX's
    garbage-collection callback, which dropped it): no run is made, no traceback is shown."""
    out = tmp_path / "run"
    process = start("--epochs", "2000", "--out", str(out))
    wait_for(lambda: handlers_installed(process), process)
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert said(err) in ("fnn train: interrupted", "fnn train: interrupted before the first epoch ended; nothing was saved")
    assert not (out / "last.npz").exists() and not (out / ".lock").exists()


def test_an_interrupt_a_callback_swallowed_still_stops_the_next_epoch(tmp_path, key):
    """Python prints and drops an exception raised in a garbage-collection callback (JAX has one), so
    ``fnn.util.interrupts`` records the signal there without raising, and ``fit`` raises it before its first epoch."""
    from tests.fnn.test_checkpoint import run

    def ctrl_c_in_a_gc_callback(phase, info):
        if phase == "start":
            signal.raise_signal(signal.SIGINT)  # the handler runs inside the callback

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # pytest may run with SIGINT ignored
    try:
        with interrupts.handled():
            gc.callbacks.append(ctrl_c_in_a_gc_callback)
            try:
                gc.collect()
            finally:
                gc.callbacks.remove(ctrl_c_in_a_gc_callback)
            with pytest.raises(fit.Interrupted) as stop:
                run(tmp_path, 3, key)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert stop.value.epoch == 0 and not (tmp_path / "last.npz").exists()


def test_an_inherited_ignore_of_sigint_is_kept_and_sigterm_still_stops(tmp_path):
    out = tmp_path / "run"
    process = start("--epochs", "2000", "--out", str(out), sigint="SIG_IGN")
    wait_for((out / "last.npz").exists, process)
    process.send_signal(signal.SIGINT)  # ignored, as the parent asked
    time.sleep(0.5)
    assert process.poll() is None
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 143 and stopped_at(err, "stopped by SIGTERM", out) >= 1
