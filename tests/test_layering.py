"""The arrows point one way: reference imports fnn; fnn never imports reference (but its CLI)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPLICATION_LAYER = {ROOT / "fnn" / "cli.py"}


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_library_never_imports_reference():
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "fnn").rglob("*.py")
        if path not in APPLICATION_LAYER
        and any(name == "reference" or name.startswith("reference.") for name in imported_modules(path))
    ]
    assert offenders == []


def test_the_layering_check_sees_imports():
    assert "reference.backprop" in imported_modules(ROOT / "fnn" / "cli.py")
