"""The command line of a benchmark script in ``scripts/``: one int flag per field of its frozen
dataclass ``Config``, ``--json PATH`` for its results, and ``main(config)`` run with them."""

from __future__ import annotations

import argparse
import dataclasses
import json


def parse_config(config_type, description: str, argv=None, *, fields=None):
    """``(config, json_path)`` from the command line: one int flag per int field of the dataclass
    ``config_type`` (``fields``: only these; other fields keep their defaults), and ``--json PATH``."""
    p = argparse.ArgumentParser(description=description)
    for field in dataclasses.fields(config_type):
        if (fields is None or field.name in fields) and type(field.default) is int:
            p.add_argument(f"--{field.name.replace('_', '-')}", type=int, default=field.default)
    p.add_argument("--json", help="also write the results to this file")
    args = vars(p.parse_args(argv))
    path = args.pop("json")
    return config_type(**args), path


def run_script(main, parse) -> dict:
    """A benchmark script's entry point: ``main(config)``, its results written to ``--json`` if given."""
    config, path = parse()
    results = main(config)
    if path:
        with open(path, "w") as f:
            json.dump(results, f, indent=1)
    return results
