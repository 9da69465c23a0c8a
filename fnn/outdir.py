r"""The output folder of a run: chosen, checked and locked before any training.

- A folder that holds a run (its ``last.npz`` or ``run.json``) is never written over
  unless asked (``overwrite=True``) or continued (``resume=True``).
- ``free_folder(base)`` is the first of ``base``, ``base-2``, ``base-3``, ... that holds
  no run: the default folder of ``fnn train``, so a second run never replaces the first.
- The folder is created and must be writable before training starts: a path that is a
  file, or a read-only folder, is a one-line error, not a traceback after epoch 1.
- ``lock(folder)`` keeps a second process out while a run writes there (``.lock`` holds
  the owner's process id; a lock whose process has died is taken over).
- Taking the lock removes the temporary files of writes cut short by a killed process
  (``files.remove_orphans``): holding it, no other fnn process writes there.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from fnn import files

RUN_MARKERS = ("last.npz", "run.json")
LOCK = ".lock"


def holds_run(folder) -> bool:
    """True when ``folder`` has the outputs of a run."""
    return any((Path(folder) / name).exists() for name in RUN_MARKERS)


def free_folder(base) -> Path:
    """``base``, or ``base-2``, ``base-3``, ... : the first that holds no run."""
    base, k = Path(base), 1
    folder = base
    while holds_run(folder):
        k += 1
        folder = base.with_name(f"{base.name}-{k}")
    return folder


def prepare(folder, *, resume: bool = False, overwrite: bool = False) -> Path:
    """Create and check the output folder of a run; return it.

    Raises:
        ValueError: the path is a file, the folder is not writable, it holds a run and
            neither ``resume`` nor ``overwrite`` is set, or ``resume`` finds no run there.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"output folder {folder} is a file; choose another folder")
    if resume and not (folder / "last.npz").exists():
        raise ValueError(f"output folder {folder} holds no checkpoint last.npz to resume")
    if not resume and not overwrite and holds_run(folder):
        raise ValueError(f"output folder {folder} already holds a run; resume it, overwrite it, or choose another folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValueError(f"output folder {folder} cannot be created: {error.strerror}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"output folder {folder} is not writable")
    return folder


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def lock(folder):
    """Hold ``folder/.lock`` while the block runs, first removing orphan temporary files.

    Raises:
        ValueError: another live process holds the lock.
    """
    path = Path(folder) / LOCK
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            break
        except FileExistsError:
            text = path.read_text().strip() if path.exists() else ""
            owner = int(text) if text.isdigit() else None
            if owner is not None and _alive(owner):
                raise ValueError(f"output folder {folder} is in use by another run (process {owner}); "
                                 f"wait for it, or remove {path} if that process is not an fnn run") from None
            path.unlink(missing_ok=True)  # the holder died without cleaning up
    else:
        raise ValueError(f"output folder {folder}: cannot take the lock {path}")
    with os.fdopen(fd, "w") as f:
        f.write(str(os.getpid()))
    try:
        files.remove_orphans(folder)
        yield Path(folder)
    finally:
        path.unlink(missing_ok=True)
