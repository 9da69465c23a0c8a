"""A run's configuration in a file: what ``fnn train --config FILE`` reads, JSON or TOML.

A file holds any of ``RunConfig``'s settings under their field names; the ones it leaves out
keep their defaults. A run folder's ``config.json`` is such a file, so a run is rerun from
it. TOML has no null: a setting is left unset by leaving it out. The flags given beside
``--config`` change single settings (``merged``).
"""

from __future__ import annotations

import dataclasses
import difflib
import tomllib
from pathlib import Path

from fnn.run.configuration import RunConfig
from fnn.util import files

FORMATS = {".json": "JSON", ".toml": "TOML"}
"""The file suffixes read, and their formats."""
SETTINGS = tuple(field.name for field in dataclasses.fields(RunConfig))


def read(path) -> dict:
    """The settings in ``path`` (setting -> value). A ValueError names the file and what is wrong
    with it: another suffix, a missing file, a syntax error (with its line), a value that is not a
    table of settings, or a setting ``RunConfig`` does not have (with the nearest names)."""
    path = Path(path)
    if path.suffix not in FORMATS:
        raise ValueError(f"--config: expected a .json or .toml file, got {path}")
    if path.suffix == ".json":
        values = files.read_json(path, "--config")
    else:
        values = _read_toml(path)
    if not isinstance(values, dict):
        raise ValueError(f"--config: expected a table of settings in {path}, got a {type(values).__name__}")
    unknown = [name for name in values if name not in SETTINGS]
    if unknown:
        near = {name: difflib.get_close_matches(name, SETTINGS, n=1) for name in unknown}
        shown = ", ".join(f"{name} (did you mean {near[name][0]}?)" if near[name] else name for name in unknown)
        raise ValueError(f"--config: expected settings of a run in {path}, got unknown ones: {shown}")
    return values


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except FileNotFoundError:
        raise ValueError(f"--config: expected the file {path}, got none") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"--config: expected TOML in {path}, got {error}") from None


def merged(from_file: dict, changes: dict) -> dict:
    """The file's settings with ``changes`` (the flags given) over them. A dict setting (``hyper``,
    ``schedule_args``, ``augment``) changes key by key; a length given as a flag (``steps`` or
    ``epochs``) replaces the file's length of the other kind."""
    values = dict(from_file)
    for given, other in (("steps", "epochs"), ("epochs", "steps")):
        if given in changes:
            values.pop(other, None)
    for name, value in changes.items():
        both_dicts = isinstance(value, dict) and isinstance(values.get(name), dict)
        values[name] = values[name] | value if both_dicts else value
    return values
