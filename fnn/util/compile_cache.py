"""JAX's persistent compilation cache for the ``fnn`` command: a second run of the same model
compiles nothing, it loads the executables the first one compiled.

``enable()`` points JAX at the folder ``FNN_COMPILATION_CACHE`` names (default:
``$XDG_CACHE_HOME/fnn/jax``, else ``~/.cache/fnn/jax``) and keeps every executable, however
quick its compilation (JAX's own default keeps only those over a second, which a small model
never takes), up to ``MAX_BYTES``. ``FNN_COMPILATION_CACHE=off`` leaves the cache off, and a cache the caller has
set up already (``JAX_COMPILATION_CACHE_DIR``, ``jax.config``) is left as it is. JAX keys each
entry by the program, the JAX and XLA versions and the device, so no stale entry is loaded.
"""

from __future__ import annotations

import os
from pathlib import Path

OFF = "off"
MAX_BYTES = 2**30
"""The cache's size: past it, JAX drops the entries used least recently (a search compiles many programs)."""


def folder() -> Path | None:
    """The cache folder ``FNN_COMPILATION_CACHE`` asks for (None: off)."""
    chosen = os.environ.get("FNN_COMPILATION_CACHE")
    if chosen == OFF:
        return None
    if chosen:
        return Path(chosen)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fnn" / "jax"


def enable() -> Path | None:
    """Turn the cache on in ``folder()`` (created), unless it is off or already set; return the folder in use."""
    import jax

    if jax.config.jax_compilation_cache_dir:
        return Path(jax.config.jax_compilation_cache_dir)
    chosen = folder()
    if chosen is None:
        return None
    try:
        chosen.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None  # a read-only home: run without the cache rather than fail
    jax.config.update("jax_compilation_cache_dir", str(chosen))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
    jax.config.update("jax_compilation_cache_max_size", MAX_BYTES)
    return chosen
