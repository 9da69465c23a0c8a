"""XLA's flags, which it reads from the environment variable ``XLA_FLAGS`` once, when JAX starts
its first computation: a flag set later does nothing.

``DETERMINISTIC`` makes XLA's GPU kernels deterministic (no atomics whose order varies: the same
run gives the same bits); a CPU already is. ``fnn train --deterministic`` sets it before JAX
starts (``with_flag``), as does ``fnn train`` for a configuration file or a resumed run that asks
for it (``with_flag_if_not_started``), and a run asking for it checks it is there (``has_flag``).
"""

from __future__ import annotations

import os

DETERMINISTIC = "--xla_gpu_deterministic_ops=true"


def has_flag(flag: str) -> bool:
    """Whether ``XLA_FLAGS`` holds ``flag``."""
    return flag in os.environ.get("XLA_FLAGS", "").split()


def with_flag(flag: str) -> None:
    """Add ``flag`` to ``XLA_FLAGS`` (keeping the flags already there); call it before JAX computes anything."""
    if not has_flag(flag):
        os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {flag}".strip()


def with_flag_if_not_started(flag: str) -> bool:
    """``with_flag`` when JAX has not started a backend yet (so XLA will read the flag); whether the flag is set."""
    from jax._src import xla_bridge

    if not xla_bridge.backends_are_initialized():
        with_flag(flag)
    return has_flag(flag)
