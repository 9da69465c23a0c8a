r"""The output folder of a run: chosen, checked and locked before any training.

- A folder that holds a run (its ``last.npz`` or ``run.json``) is never written over
  unless asked (``overwrite=True``) or continued (``resume=True``).
- ``free_folder(base)`` is the first of ``base``, ``base-2``, ``base-3``, ... that holds
  no run and no other process's lock: the default folder of ``fnn train``, so a second run
  never replaces the first. It locks the folder as it chooses it (and ``lock`` takes that
  lock over), so two runs started at once choose two folders.
- Output paths are checked before any work (``writable_folder``, ``writable_file``, also
  for ``fnn search``, ``fnn experiment`` and ``fnn predict --output``): a path that is a
  file or runs through one, a name too long, a folder that cannot be created or is
  read-only, each a one-line error naming the path, not a traceback after epoch 1.
- ``lock(folder)`` keeps a second process out while a run writes there: an exclusive
  ``flock`` of ``.lock``, which holds the owner's process id for the message. The kernel
  drops the lock when its process ends, so a lock left by a killed run is free.
- Taking the lock removes the temporary files of writes cut short by a killed process
  (``files.remove_orphans``): holding it, no other fnn process writes there.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import os
from pathlib import Path

from fnn.util import files

RUN_MARKERS = ("last.npz", "run.json")
LOCK = ".lock"
_reserved: dict[Path, int] = {}
"""The folders ``free_folder`` chose and locked in this process, with their lock's descriptor."""


def holds_run(folder) -> bool:
    """True when ``folder`` has the outputs of a run."""
    return any((Path(folder) / name).exists() for name in RUN_MARKERS)


def free_folder(base) -> Path:
    """The first of ``base``, ``base-2``, ``base-3``, ... that holds no run and that no other process
    has locked; created, and locked for this process until ``lock`` takes it over (or the process
    ends): two runs started at once never choose the same folder.

    Raises:
        ValueError: a folder cannot be created there (``writable_folder``).
    """
    base = Path(base)
    for k in itertools.count(1):
        folder = base if k == 1 else base.with_name(f"{base.name}-{k}")
        if holds_run(folder):
            continue
        fd = _take(writable_folder(folder, "output folder") / LOCK)
        if fd is None:
            continue
        if holds_run(folder):  # a run that finished after the first look
            _release(folder / LOCK, fd)
            continue
        _reserved[folder.resolve()] = fd
        return folder


def writable_folder(path, name: str) -> Path:
    """Create the folder ``path`` (and its parents) and check that it is writable; return it.

    Raises:
        ValueError: ``"{name} {path}: what is wrong"``: it is a file, a component of the path
            is a file, a name is too long, it cannot be created, or it is not writable.
    """
    return _created(Path(path), Path(path), name)


def writable_file(path, name: str) -> Path:
    """Check that a file can be written at ``path`` (creating its folder); return it.

    Raises:
        ValueError: ``"{name} {path}: what is wrong"``, as ``writable_folder``; or ``path`` is a folder.
    """
    return _created(Path(path), Path(path).parent, name)


def _created(path: Path, folder: Path, name: str) -> Path:
    subject = "" if folder == path else f"its folder {folder} "
    problem = _path_problem(path, folder == path)
    if problem is None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            problem = f"{subject}cannot be created ({error.strerror or error})"
    if problem is None and not os.access(folder, os.W_OK | os.X_OK):
        problem = f"{subject}is not writable"
    if problem is not None:
        raise ValueError(f"{name} {path}: {problem}")
    return path


def _path_problem(path: Path, is_folder: bool) -> str | None:
    """What keeps ``path`` from being a folder (``is_folder``) or a file, seen without creating
    anything: a name longer than the file system allows, a file where a folder must be."""
    existing = next((p for p in (path, *path.parents) if os.path.isdir(p)), Path("."))
    try:
        limit = os.pathconf(existing, "PC_NAME_MAX")
    except (OSError, ValueError):  # a system that does not say
        limit = 255
    long = next((part for part in path.parts if len(os.fsencode(part)) > limit), None)
    if long is not None:
        return (f"the name {long[:20]}... is {len(os.fsencode(long))} bytes long, more than the {limit} "
                "the file system allows")
    for above in reversed(path.parents):
        if not os.path.isdir(above):
            if os.path.exists(above):
                return f"a component of the path is a file ({path} is under the file {above})"
            break
    if is_folder and os.path.exists(path) and not os.path.isdir(path):
        return "is a file, expected a folder"
    if not is_folder and os.path.isdir(path):
        return "is a folder, expected a file"
    return None


def prepare(folder, *, resume: bool = False, overwrite: bool = False) -> Path:
    """Create and check the output folder of a run; return it.

    Raises:
        ValueError: the path cannot be a writable folder (``writable_folder``), it holds a run
            and neither ``resume`` nor ``overwrite`` is set, or ``resume`` finds no run there.
    """
    folder = Path(folder)
    problem = _path_problem(folder, True)
    if problem is not None:
        raise ValueError(f"output folder {folder}: {problem}")
    if resume and not (folder / "last.npz").exists():
        raise ValueError(f"output folder {folder} holds no checkpoint last.npz to resume")
    if not resume and not overwrite and holds_run(folder):
        raise ValueError(f"output folder {folder} already holds a run; resume it, overwrite it, or choose another folder")
    return writable_folder(folder, "output folder")


def _take(path: Path) -> int | None:
    """A descriptor of ``path`` (created) holding its exclusive lock, this process's id written in it;
    None while another process holds the lock. The kernel releases a lock when its holder ends,
    however it ends, so a lock left by a killed run is free."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        try:
            current = os.path.samestat(os.stat(path), os.fstat(fd))
        except FileNotFoundError:
            current = False
        if current:
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())
            return fd
        os.close(fd)  # the holder released it (removing the file) after we opened it: try the new file


def _release(path: Path, fd: int) -> None:
    path.unlink(missing_ok=True)  # while still held: no other process takes a file that is going away
    os.close(fd)


@contextlib.contextmanager
def lock(folder):
    """Hold ``folder/.lock`` while the block runs (taking over the lock ``free_folder`` reserved for
    this process), first removing orphan temporary files.

    Raises:
        ValueError: another process holds the lock.
    """
    path = Path(folder) / LOCK
    fd = _reserved.pop(Path(folder).resolve(), None)
    if fd is None:
        fd = _take(path)
    if fd is None:
        try:
            owner = path.read_text().strip()
        except OSError:
            owner = ""
        raise ValueError(f"output folder {folder} is in use by another run (process {owner or 'unknown'}); "
                         "wait for it to end, or choose another folder")
    try:
        files.remove_orphans(folder)
        yield Path(folder)
    finally:
        _release(path, fd)
