"""Save and load parameter pytrees as ``.npz`` (NumPy arrays only: loading never runs code).

Leaves are stored under their pytree path (``.dense[0].W``); loading needs a template
pytree of the same structure (e.g. a fresh ``init``) and checks every name, shape and dtype.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from fnn import files


def _named_leaves(tree) -> dict:
    return {jax.tree_util.keystr(path): leaf for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]}


def save_params(path, params) -> Path:
    """Write ``params`` to ``path`` atomically (a crash leaves any previous file intact)."""
    arrays = {name: np.asarray(leaf) for name, leaf in _named_leaves(params).items()}
    return files.atomic_write(path, lambda f: np.savez(f, **arrays))


def load_params(path, like):
    """Read parameters saved by ``save_params`` into the structure of ``like``.

    Raises:
        ValueError: the file is missing, truncated or not an npz, or a leaf's name,
            shape or dtype differs from ``like``.
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            stored = {name: data[name] for name in data.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise ValueError(f"load_params: cannot read {path}: {error}") from error
    expected = _named_leaves(like)
    if set(stored) != set(expected):
        raise ValueError(
            f"load_params: {path} holds leaves {sorted(stored)}, expected {sorted(expected)}"
        )
    for name, leaf in expected.items():
        if stored[name].shape != leaf.shape or stored[name].dtype != leaf.dtype:
            raise ValueError(
                f"load_params: {path} leaf {name} has shape {stored[name].shape} dtype "
                f"{stored[name].dtype}, expected shape {leaf.shape} dtype {leaf.dtype}"
            )
    leaves = [jnp.asarray(stored[name]) for name in expected]
    return jax.tree.unflatten(jax.tree.structure(like), leaves)
