"""Peers whose packages are optional (``pip install .[peers]``): used when installed, skipped with a
note when not, so a benchmark runs on any machine."""

from __future__ import annotations

import importlib.util
import os


def torch_available(threads: int = 0, *, note: bool = True) -> bool:
    """Whether PyTorch is installed (``pip install .[peers]``), set to ``threads`` threads (0: as
    many as XLA:CPU uses, the CPUs this process may use); a ``note`` is printed when it is not."""
    if importlib.util.find_spec("torch") is None:
        if note:
            print("note: PyTorch eager skipped, torch is not installed (pip install .[peers])")
        return False
    import torch

    torch.set_num_threads(threads or len(os.sched_getaffinity(0)))
    return True


def torch_epochs(model, params, data, *, threads: int, batch_size: int, learning_rate: float, seed: int) -> dict:
    """``{"PyTorch eager": (epoch, ())}`` for ``fnn.bench.timing.interleaved``: the PyTorch peer of
    fnn's ``model`` (``fnn.bench.torch_peers.peer``), or ``{}`` with a note without PyTorch."""
    if not torch_available(threads):
        return {}
    from fnn.bench import torch_peers

    trainer = torch_peers.peer(model, params, data, batch_size=batch_size, learning_rate=learning_rate, seed=seed)
    return {"PyTorch eager": (trainer.epoch, ())}
