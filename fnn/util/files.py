"""Atomic file writes: a temporary file in the same folder, flushed, then renamed.

A crash mid-write leaves the previous file intact, never a truncated one; files that belong
together (``atomic_write_all``) are all written before any is renamed, so a full disk replaces
none of them. An OSError while writing (a full disk, a folder that is not writable) names the
file, and its temporary is removed. A process killed mid-write leaves its temporary file
``.NAME.XXXXXXXX.tmp`` behind; ``remove_orphans`` deletes those (``fnn.run.outdir.lock`` calls it
once no other run can be writing). Ctrl-C (and SIGTERM) during a write is held until the file
is in place, then raised (``fnn.util.interrupts``): an interrupted ``np.savez`` would otherwise
leave its zip half open and replace the KeyboardInterrupt with zipfile's own error.
"""

from __future__ import annotations

import contextlib
import json
import operator
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from fnn.util import interrupts

_TMP_SUFFIX = ".tmp"
# atomic_write's temporary names: mkstemp(prefix=".NAME.", suffix=".tmp") puts 8 characters
# of [a-z0-9_] between them.
_TEMPORARY = re.compile(r"\..+\.[a-z0-9_]{8}" + re.escape(_TMP_SUFFIX))


def _default_mode() -> int:
    """0666 less the process's umask: the mode ``open`` would have given."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write(path, write: Callable) -> Path:
    """Call ``write(binary_file)`` on a temporary file, then rename it onto ``path``.

    Raises:
        OSError: of the failed call's errno, naming ``path``:
            ``[Errno 28] cannot write D/a.npz: No space left on device``.
    """
    return _write_all({Path(path): write})[0]


def atomic_write_all(contents: dict) -> list[Path]:
    """Write ``{path: bytes}``: every file to its temporary first, then each renamed into place, so a
    failed write (a full disk) replaces none of them. A crash between the renames can still leave a
    mixture: a reader that must know (``fnn.run.trained.load``) records the contents' hashes."""
    return _write_all({Path(path): operator.methodcaller("write", data) for path, data in contents.items()})


def _write_all(writes: dict[Path, Callable]) -> list[Path]:
    temporaries = []
    with interrupts.held():
        try:
            for path, write in writes.items():
                with _naming(path):
                    path.parent.mkdir(parents=True, exist_ok=True)
                    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=_TMP_SUFFIX, dir=path.parent)
                    temporaries.append(tmp)
                    with os.fdopen(fd, "wb") as f:
                        write(f)
                        f.flush()
                        os.fsync(f.fileno())
                    os.chmod(tmp, _default_mode())  # mkstemp makes 0600; a written file gets the user's usual mode
            for tmp, path in zip(temporaries, writes):
                with _naming(path):
                    os.replace(tmp, path)
        except BaseException:
            for tmp in temporaries:
                Path(tmp).unlink(missing_ok=True)
            raise
    return list(writes)


@contextlib.contextmanager
def _naming(path: Path):
    """Replace an OSError by one of the same errno (so the same subclass) whose message names ``path``."""
    try:
        yield
    except OSError as error:
        reason = f"cannot write {path}: {error.strerror or error}"
        raise (OSError(reason) if error.errno is None else OSError(error.errno, reason)) from error


def remove_orphans(folder) -> list[Path]:
    """Delete the temporary files ``atomic_write`` left in ``folder`` (not its subfolders); return them.

    Only call it while no other process can be writing there (e.g. holding ``fnn.run.outdir.lock``):
    a write in progress looks like an orphan.
    """
    orphans = sorted(p for p in Path(folder).iterdir() if _TEMPORARY.fullmatch(p.name) and p.is_file())
    for orphan in orphans:
        orphan.unlink(missing_ok=True)
    return orphans


def atomic_write_text(path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write(path, lambda f: f.write(text.encode()))


def atomic_write_json(path, value, *, indent: int | None = 1) -> Path:
    """Write ``value`` as strict JSON (no NaN or Infinity, which JSON does not have) atomically."""
    return atomic_write_text(path, json.dumps(value, indent=indent, allow_nan=False))


def read_text(path, where: str) -> str:
    """The UTF-8 text in ``path``; a missing or undecodable file is a ValueError naming it."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"{where}: expected the file {path}, got none") from None
    except UnicodeDecodeError as error:
        raise ValueError(f"{where}: expected UTF-8 text in {path}, got {error}") from None


def read_json(path, where: str):
    """The JSON value in ``path``; a missing or malformed file is a ValueError naming it."""
    try:
        return json.loads(read_text(path, where))
    except json.JSONDecodeError as error:
        raise ValueError(f"{where}: expected JSON in {path}, got {error}") from None
