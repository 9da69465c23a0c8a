"""The arrows of the house point one way.

- ``reference`` imports ``fnn``; in ``fnn`` only the command line (``fnn/cli``) imports ``reference``.
- The library never imports the application: packages rank library < ``fnn.run`` < ``fnn.search``
  < ``fnn.experiments`` < ``fnn.cli``, and a module imports only from its own rank or below.
- ``argparse`` only in ``fnn/cli``; ``matplotlib`` only in ``fnn/plots`` and ``fnn/experiments``.
- No import circles between fnn's modules (``scripts/import_graph.py`` prints the counts).
"""

import ast
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RANKS = {"fnn.run": 1, "fnn.search": 2, "fnn.experiments": 3, "fnn.cli": 4}
"""The application's packages by rank; every other fnn module is the library (rank 0)."""


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _rank(module: str) -> int:
    return next((rank for package, rank in RANKS.items() if module == package or module.startswith(package + ".")), 0)


def _graph():
    spec = importlib.util.spec_from_file_location("import_graph", ROOT / "scripts" / "import_graph.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["import_graph"] = module
    spec.loader.exec_module(module)
    return module


def _importers(prefix: str, allowed: tuple[str, ...]) -> list[str]:
    """The fnn files outside ``allowed`` folders that import ``prefix`` or a module below it."""
    return sorted(str(path.relative_to(ROOT)) for path in (ROOT / "fnn").rglob("*.py")
                  if not any(path.is_relative_to(ROOT / folder) for folder in allowed)
                  and any(name == prefix or name.startswith(prefix + ".") for name in imported_modules(path)))


def test_only_the_command_line_imports_reference():
    assert _importers("reference", ("fnn/cli",)) == []


def test_argparse_lives_in_the_command_line_and_matplotlib_in_the_plots_and_experiments():
    assert _importers("argparse", ("fnn/cli",)) == []
    assert _importers("matplotlib", ("fnn/plots", "fnn/experiments")) == []


def test_no_module_imports_from_a_package_of_a_higher_rank():
    graph = _graph()
    upward = sorted(f"{source} -> {target}" for source, targets in graph.graph("fnn").items() for target in targets
                    if _rank(target) > _rank(source))
    assert upward == [], "the library must not import the application (fnn.run < fnn.search < fnn.experiments < fnn.cli)"


def test_there_are_no_import_circles():
    graph = _graph()
    assert graph.circles(graph.graph("fnn")) == []


def test_the_layering_check_sees_imports():
    assert "reference.backprop" in imported_modules(ROOT / "fnn" / "cli" / "train.py")
    assert _rank("fnn.cli.train") > _rank("fnn.run.training") > _rank("fnn.fit") == 0
    graph = _graph()
    assert graph.circles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
