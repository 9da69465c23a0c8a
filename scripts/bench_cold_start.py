"""Cold start: the seconds from launching a training command to its first epoch's line, for
``fnn train`` (with JAX's persistent compilation cache empty, then filled, and off) against a
plain-JAX and a PyTorch script of the same model, and the bare imports.

    python scripts/bench_cold_start.py                # 5 interleaved rounds
    python scripts/bench_cold_start.py --repeats 3

What a user waits for on a small job is mostly not training: Python imports JAX, loads the
data and XLA compiles the programs. Each round launches every command once, in this order,
as a fresh process (``sys.executable``, stdout unbuffered) and stops it at the line that
reports its first epoch (fnn's epoch-1 row; the peers print ``epoch 1``):
- ``fnn train --epochs 1``, first run: the compilation cache (``FNN_COMPILATION_CACHE``) is a
  new, empty folder (its epoch-1 row also waits for the scores of the training and validation
  sets, where the peers score the validation set only);
- the same command again: the cache holds the first run's executables, so nothing compiles;
- the same command with the cache off (``FNN_COMPILATION_CACHE=off``);
- ``scripts/cold_start/jax_mlp.py``: the same MLP and epoch in plain JAX, no cache;
- ``scripts/cold_start/torch_mlp.py``: the same in PyTorch eager (skipped with a note without
  ``pip install .[peers]``);
- ``import jax.numpy`` and ``import torch`` alone: the floor under each.
The median over the rounds is reported with its ratio to the plain-JAX script's.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from fnn.cli import script

HERE = Path(__file__).resolve().parent
FNN_TRAIN = (sys.executable, "-m", "fnn.cli", "train", "--epochs", "1", "--no-progress", "--overwrite")
FNN_FIRST_EPOCH = r"^\s+1\s+\d+\.\d+\s"
"""fnn train's row of epoch 1 (the epoch, then the training loss)."""
CACHE_SETTINGS = ("JAX_COMPILATION_CACHE_DIR", "FNN_COMPILATION_CACHE")
"""Left out of the children's environment: each command says which cache it uses."""
PEER_FIRST_EPOCH = r"^epoch 1\b"


@dataclasses.dataclass(frozen=True)
class Config:
    repeats: int = 5
    timeout: int = 300  # seconds a command may take before the benchmark stops with an error


def time_to_line(command, pattern: str, *, env: dict, timeout: float) -> float:
    """Seconds from launching ``command`` to the first line of its stdout matching ``pattern``;
    the process is stopped there.

    Raises:
        RuntimeError: the command ended, or ran past ``timeout``, without printing the line
            (naming it, with the end of its output).
    """
    outside = {name: value for name, value in os.environ.items() if name not in CACHE_SETTINGS}
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**outside, "PYTHONUNBUFFERED": "1", **env})
    deadline = threading.Timer(timeout, process.kill)  # a silent child ends too: stdout closes
    deadline.start()
    seen = []
    try:
        for line in process.stdout:
            if re.search(pattern, line):
                return time.perf_counter() - start
            seen.append(line)
    finally:
        deadline.cancel()
        process.kill()
        process.wait()
    raise RuntimeError(f"bench_cold_start: expected {' '.join(map(str, command))} to print a line matching "
                       f"{pattern!r} within {timeout} s, got:\n{''.join(seen[-20:])}")


def commands(folder: Path) -> dict:
    """name -> (command, pattern, environment) of one round, in launch order; ``folder`` is the
    round's own scratch folder (the fnn runs' output and compilation cache)."""
    cache = {"FNN_COMPILATION_CACHE": str(folder / "cache")}
    train = (*FNN_TRAIN, "--out", str(folder / "run"))
    listed = {
        "fnn train, empty cache": (train, FNN_FIRST_EPOCH, cache),
        "fnn train, filled cache": (train, FNN_FIRST_EPOCH, cache),
        "fnn train, cache off": (train, FNN_FIRST_EPOCH, {"FNN_COMPILATION_CACHE": "off"}),
        "plain JAX script": ((sys.executable, str(HERE / "cold_start" / "jax_mlp.py")), PEER_FIRST_EPOCH, {}),
        "PyTorch script": ((sys.executable, str(HERE / "cold_start" / "torch_mlp.py")), PEER_FIRST_EPOCH, {}),
        "import jax.numpy": ((sys.executable, "-c", "import jax.numpy; print('epoch 1')"), PEER_FIRST_EPOCH, {}),
        "import torch": ((sys.executable, "-c", "import torch; print('epoch 1')"), PEER_FIRST_EPOCH, {}),
    }
    if importlib.util.find_spec("torch") is None:
        print("note: the PyTorch script and import skipped, torch is not installed (pip install .[peers])")
        listed = {name: spec for name, spec in listed.items() if "torch" not in name.lower()}
    return listed


def main(config: Config) -> dict:
    samples: dict[str, list[float]] = {}
    load_before = os.getloadavg()[0]
    for round_ in range(config.repeats):
        with tempfile.TemporaryDirectory(prefix="fnn-cold-start-") as folder:
            for name, (command, pattern, env) in commands(Path(folder)).items():
                seconds = time_to_line(command, pattern, env=env, timeout=config.timeout)
                samples.setdefault(name, []).append(seconds)
                print(f"round {round_ + 1}/{config.repeats}  {name:<24} {seconds:6.2f} s", flush=True)
    seconds = {name: statistics.median(times) for name, times in samples.items()}
    results = {"seconds": seconds, "samples": samples, "load_average_before": load_before,
               "load_average_after": os.getloadavg()[0], "repeats": config.repeats}
    print(f"seconds to the first epoch's line, median of {config.repeats} rounds (load average "
          f"{load_before:.2f} -> {results['load_average_after']:.2f}):")
    for name, value in seconds.items():
        print(f"  {name:<24} {value:6.2f} s  x{value / seconds['plain JAX script']:.2f} the plain-JAX script")
    return results


def parse(argv=None) -> tuple[Config, str | None]:
    return script.parse_config(Config, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    script.run_script(main, parse)
