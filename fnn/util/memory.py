"""Will a run fit? The memory its parameters, gradients and optimizer state take, against what the device has.

``jax.eval_shape`` gives the shapes of the parameters and of the optimizer's state without
allocating them, so a model far too large for the machine is refused with the estimate,
instead of an out-of-memory traceback (or the operating system's killer) a minute later.
The estimate is a floor: activations, the data and XLA's buffers come on top.
"""

from __future__ import annotations

import os

import jax

GIB = 2**30
TRAINING_COPIES = 3
"""Parameter-sized trees alive while training: the parameters, their gradients, and the updated or best parameters."""


def tree_bytes(tree) -> int:
    """The bytes of a tree's arrays (or of their ``jax.ShapeDtypeStruct`` stand-ins)."""
    return sum(leaf.size * leaf.dtype.itemsize for leaf in jax.tree.leaves(tree) if hasattr(leaf, "dtype"))


def available_bytes(device=None) -> int | None:
    """The memory a new array can still take: the accelerator's free memory; for a CPU the host's
    available memory (``MemAvailable`` of /proc/meminfo, or the free pages), within the container's
    limit (cgroup v2 ``memory.max`` less ``memory.current``); None when unknown."""
    device = device or jax.devices()[0]
    stats = device.memory_stats() if device.platform != "cpu" else None
    if stats and "bytes_limit" in stats:
        return stats["bytes_limit"] - stats.get("bytes_in_use", 0)
    known = [value for value in (_meminfo_available(), _container_available()) if value is not None]
    return min(known) if known else None


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo") as f:
            fields = dict(line.split(":", 1) for line in f)
        return int(fields["MemAvailable"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        try:
            return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (AttributeError, OSError, ValueError):  # no sysconf, or no such name (macOS)
            return None


def _container_available(root: str = "/sys/fs/cgroup") -> int | None:
    try:
        with open(f"{root}/memory.max") as limit, open(f"{root}/memory.current") as used:
            text = limit.read().strip()
            return None if text == "max" else int(text) - int(used.read())
    except (OSError, ValueError):
        return None


def training_bytes(params, opt_state) -> int:
    """A floor of the memory training takes: ``TRAINING_COPIES`` parameter trees and the optimizer state."""
    return TRAINING_COPIES * tree_bytes(params) + tree_bytes(opt_state)


def check_fits(where: str, needed: int, what: str, available: int | None = None) -> None:
    """Refuse ``needed`` bytes (described by ``what``) when more than the memory available.

    Raises:
        ValueError: naming ``where``, the estimate and the memory available.
    """
    available = available_bytes() if available is None else available
    if available is not None and needed > available:
        raise ValueError(f"{where}: expected a model that fits in the {available / GIB:,.1f} GiB of memory available, "
                         f"got one that needs at least {needed / GIB:,.1f} GiB ({what})")
