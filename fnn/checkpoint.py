"""Save and load parameters and whole training states as ``.npz`` files: arrays and JSON only.

Nothing is pickled, so loading never runs code. Leaves are stored under their pytree path
(``.params.dense[0].W``); PRNG keys as their raw key data. Loading needs a template pytree
of the same structure (e.g. a fresh ``init``) and checks every name, shape and dtype, so a
truncated, corrupted or mismatched file is an error naming the file and the mismatch, and so
is a NaN or infinity in any floating leaf (training saves only finite states, optimizer and
model states included: such a value means the file was damaged). A checkpoint's JSON
metadata is checked whole: every key and type, and a history of exactly the epochs 1..epoch.
Every write is atomic (temporary file, then rename): a crash keeps the last good file.
"""

from __future__ import annotations

import io
import json
import lzma
import tokenize
import zipfile
import zlib
from pathlib import Path
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from fnn.util import files

META = "__meta__"
FORMAT = "fnn-checkpoint-1"
META_KEYS = ("format", "epoch", "history", "controls", "config")
CONTROLS = ("early_stopping", "plateau")


def _is_key(leaf) -> bool:
    return hasattr(leaf, "dtype") and jax.dtypes.issubdtype(leaf.dtype, jax.dtypes.prng_key)


def _arrays(tree) -> dict[str, np.ndarray]:
    leaves = jax.tree_util.tree_flatten_with_path(tree)[0]
    return {jax.tree_util.keystr(path): np.asarray(jax.random.key_data(leaf) if _is_key(leaf) else leaf)
            for path, leaf in leaves}


# What np.load raises on a damaged file (found by truncating and overwriting real checkpoints):
_DAMAGED = (
    OSError, EOFError,  # missing, cut off, an unreadable zip offset or bzip2 stream
    zipfile.BadZipFile,  # no zip directory, a bad member header, a bad CRC-32
    RuntimeError,  # an unknown compression method or zip version (a RuntimeError subclass), the "encrypted" flag
    zlib.error, lzma.LZMAError,  # a broken compressed member
    ValueError, SyntaxError, TypeError, tokenize.TokenError,  # a broken .npy header, short array data
    MemoryError, OverflowError,  # a header claiming a huge shape
)


def _read(path, where: str) -> dict[str, np.ndarray]:
    path = Path(path)
    try:
        data = np.load(path, allow_pickle=False)
        if isinstance(data, np.lib.npyio.NpzFile):
            with data:
                stored = {name: data[name] for name in data.files}
    except _DAMAGED as error:
        raise ValueError(f"{where}: expected {path} to be an .npz file of arrays, got a damaged or unreadable "
                         f"file ({type(error).__name__}: {error})") from error
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise ValueError(f"{where}: expected {path} to be an .npz file of arrays, got a single .npy array")
    odd = sorted(name for name, value in stored.items() if not isinstance(value, np.ndarray))
    if odd:
        raise ValueError(f"{where}: expected {path} to hold only .npy arrays, got other entries {odd}")
    return stored


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
        bad = np.count_nonzero(~np.isfinite(stored[name])) if jnp.issubdtype(dtype, jnp.inexact) else 0
        if bad:
            raise ValueError(f"{where}: {path} leaf {name} holds {bad} NaN or infinite values; training saves only "
                             "finite ones, so the file is damaged: train again")
        array = jnp.asarray(stored[name])
        leaves.append(jax.random.wrap_key_data(array, impl=jax.random.key_impl(leaf)) if _is_key(leaf) else array)
    return jax.tree.unflatten(jax.tree.structure(like), leaves)


def params_bytes(params) -> bytes:
    """The contents of the ``.npz`` file ``save_params`` writes."""
    buffer = io.BytesIO()
    np.savez(buffer, **_arrays(params))
    return buffer.getvalue()


def save_params(path, params) -> Path:
    """Write ``params`` to ``path`` atomically."""
    return files.atomic_write_all({path: params_bytes(params)})[0]


def load_params(path, like):
    """Read parameters saved by ``save_params`` into the structure of ``like``.

    Raises:
        ValueError: naming the file (and the leaf): unreadable, not matching ``like``, or
            holding NaN or infinite values.
    """
    return _restore(_read(path, "load_params"), like, path, "load_params")


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


def _got(value) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


def _history_problem(history, epoch: int) -> str | None:
    if not isinstance(history, list) or not all(isinstance(record, dict) for record in history):
        return f"history a list of records (JSON objects), got {_got(history)}"
    if len(history) != epoch:
        return f"{epoch} history records (one per epoch completed), got {len(history)}"
    for number, record in enumerate(history, 1):
        if type(record.get("epoch")) is not int or record["epoch"] != number:
            return f"history record {number} of epoch {number}, got epoch {_got(record.get('epoch'))}"
    return None


def _meta_problem(meta) -> str | None:
    """What is wrong with a checkpoint's metadata, as "X, got Y"; None when it is whole."""
    if not isinstance(meta, dict):
        return f"a JSON object, got {_got(meta)}"
    if set(meta) != set(META_KEYS):
        missing, extra = [k for k in META_KEYS if k not in meta], sorted(set(meta) - set(META_KEYS))
        return f"keys {list(META_KEYS)}, got missing {missing}, unexpected {extra}"
    if meta["format"] != FORMAT:
        return f"format {FORMAT!r}, got {_got(meta['format'])}"
    epoch = meta["epoch"]
    if type(epoch) is not int or epoch < 0:
        return f"epoch a non-negative integer, got {_got(epoch)}"
    controls = meta["controls"]
    if not isinstance(controls, dict) or set(controls) != set(CONTROLS):
        return f"controls an object with keys {list(CONTROLS)}, got {_got(controls)}"
    for name in CONTROLS:
        if controls[name] is not None and not isinstance(controls[name], list):
            return f"controls {name!r} null or a list, got {_got(controls[name])}"
    if not isinstance(meta["config"], dict):
        return f"config a JSON object, got {_got(meta['config'])}"
    return _history_problem(meta["history"], epoch)


def _meta(stored: dict, path, where: str) -> dict:
    """Pop and check the JSON metadata entry of a checkpoint (every key, type and the epochs of its history)."""
    if META not in stored:
        raise ValueError(f"{where}: {path}: expected a {META} entry, got none; it is not an fnn checkpoint "
                         "(a parameters file? read it with load_params)")
    raw = stored.pop(META)
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise ValueError(f"{where}: {path} {META}: expected a uint8 vector (JSON text), "
                         f"got dtype {raw.dtype} shape {raw.shape}")
    try:
        meta = json.loads(raw.tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{where}: {path} {META}: expected JSON text, got a corrupted entry ({error})") from error
    problem = _meta_problem(meta)
    if problem is not None:
        raise ValueError(f"{where}: {path} {META}: expected {problem}")
    return meta


def checkpoint_epoch(path) -> int:
    """The number of epochs completed in a checkpoint (its arrays are checked by ``load_checkpoint``).

    Raises:
        ValueError: the file is unreadable or its metadata is incomplete or inconsistent.
    """
    return _meta(_read(path, "checkpoint_epoch"), path, "checkpoint_epoch")["epoch"]


def load_checkpoint(path, like) -> Checkpoint:
    """Read a checkpoint into the structure of ``like`` (a tree of the same run's shapes).

    Raises:
        ValueError: the file is unreadable, its metadata is incomplete or inconsistent (a
            missing or mistyped key, an epoch that disagrees with the history), or its
            arrays do not match ``like`` or hold NaN or infinite values; the message names
            the file (and the leaf).
    """
    stored = _read(path, "load_checkpoint")
    meta = _meta(stored, path, "load_checkpoint")
    tree = _restore(stored, like, path, "load_checkpoint")
    return Checkpoint(tree, meta["epoch"], meta["history"], meta["controls"], meta["config"])


def checkpoint_config(path) -> dict:
    """The run configuration a checkpoint was saved with (``fit``'s ``run_config``; {} when none was given).

    Raises:
        ValueError: the file is unreadable or its metadata is incomplete or inconsistent.
    """
    return _meta(_read(path, "checkpoint_config"), path, "checkpoint_config")["config"]
