"""Save and load parameters and whole training states as ``.npz`` files: arrays and JSON only.

Nothing is pickled, so loading never runs code. Leaves are stored under their pytree path
(``.params.dense[0].W``); PRNG keys as their raw key data. Loading needs a template pytree
of the same structure (e.g. a fresh ``init``) and checks every name, shape and dtype, so a
truncated, corrupted or mismatched file is an error naming the file and the mismatch.
Every write is atomic (temporary file, then rename): a crash keeps the last good file.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from fnn import files

META = "__meta__"
FORMAT = "fnn-checkpoint-1"


def _is_key(leaf) -> bool:
    return hasattr(leaf, "dtype") and jax.dtypes.issubdtype(leaf.dtype, jax.dtypes.prng_key)


def _arrays(tree) -> dict[str, np.ndarray]:
    leaves = jax.tree_util.tree_flatten_with_path(tree)[0]
    return {jax.tree_util.keystr(path): np.asarray(jax.random.key_data(leaf) if _is_key(leaf) else leaf)
            for path, leaf in leaves}


def _read(path) -> dict[str, np.ndarray]:
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise ValueError(f"checkpoint: cannot read {path}: {error}") from error


def _restore(stored: dict, like, path, where: str):
    named = jax.tree_util.tree_flatten_with_path(like)[0]
    expected = {jax.tree_util.keystr(p): leaf for p, leaf in named}
    if set(stored) != set(expected):
        missing, extra = sorted(set(expected) - set(stored)), sorted(set(stored) - set(expected))
        raise ValueError(f"{where}: {path} does not match the model: missing leaves {missing}, unexpected {extra}")
    leaves = []
    for name, leaf in expected.items():
        template = jax.random.key_data(leaf) if _is_key(leaf) else leaf
        shape, dtype = np.shape(template), np.asarray(template).dtype
        if stored[name].shape != shape or stored[name].dtype != dtype:
            raise ValueError(
                f"{where}: {path} leaf {name} has shape {stored[name].shape} dtype "
                f"{stored[name].dtype}, expected shape {shape} dtype {dtype}"
            )
        array = jnp.asarray(stored[name])
        leaves.append(jax.random.wrap_key_data(array, impl=jax.random.key_impl(leaf)) if _is_key(leaf) else array)
    return jax.tree.unflatten(jax.tree.structure(like), leaves)


def save_params(path, params) -> Path:
    """Write ``params`` to ``path`` atomically."""
    arrays = _arrays(params)
    return files.atomic_write(path, lambda f: np.savez(f, **arrays))


def load_params(path, like):
    """Read parameters saved by ``save_params`` into the structure of ``like``."""
    return _restore(_read(path), like, path, "load_params")


class Checkpoint(NamedTuple):
    """A training run between two epochs.

    Attributes:
        tree: the arrays: ``{"state": TrainState, "loop_key": key, "best_params": params}``.
        epoch: the number of epochs completed.
        history: the epoch records so far.
        controls: JSON-able states of the training controls (early stopping, plateau).
        config: JSON-able description of the run (to check a resume against).
    """

    tree: Any
    epoch: int
    history: list
    controls: dict
    config: dict


def save_checkpoint(path, checkpoint: Checkpoint) -> Path:
    """Write a checkpoint atomically: arrays under their paths, the rest as JSON."""
    meta = {"format": FORMAT, "epoch": checkpoint.epoch, "history": checkpoint.history,
            "controls": checkpoint.controls, "config": checkpoint.config}
    arrays = _arrays(checkpoint.tree)
    arrays[META] = np.frombuffer(json.dumps(meta, allow_nan=False).encode(), np.uint8)
    return files.atomic_write(path, lambda f: np.savez(f, **arrays))


def _meta(stored: dict, path) -> dict:
    if META not in stored:
        raise ValueError(f"load_checkpoint: {path} has no {META} entry; it is not an fnn checkpoint")
    try:
        meta = json.loads(stored.pop(META).tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"load_checkpoint: {path} has a corrupted {META} entry: {error}") from error
    if meta.get("format") != FORMAT:
        raise ValueError(f"load_checkpoint: {path} has format {meta.get('format')!r}, expected {FORMAT!r}")
    return meta


def checkpoint_epoch(path) -> int:
    """The number of epochs completed in a checkpoint (its arrays are checked by ``load_checkpoint``)."""
    return _meta(_read(path), path)["epoch"]


def load_checkpoint(path, like) -> Checkpoint:
    """Read a checkpoint into the structure of ``like`` (a tree of the same run's shapes)."""
    stored = _read(path)
    meta = _meta(stored, path)
    tree = _restore(stored, like, path, "load_checkpoint")
    return Checkpoint(tree, meta["epoch"], meta["history"], meta["controls"], meta["config"])
