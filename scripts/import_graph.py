"""Print the counts of fnn's import graph: modules, arrows, import floors and circles.

    python scripts/import_graph.py [--list]

An arrow A -> B is an import of fnn module B anywhere in A (inside functions too: a deferred
import is still a dependency). A module's floor is 0 when it imports no fnn module, else one
more than the highest floor it imports; modules on a circle share their floor. ``--list``
also prints each floor's modules and each circle.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclasses.dataclass(frozen=True)
class Config:
    package: str = "fnn"
    list: bool = False


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, modules: set[str]) -> set[str]:
    """The fnn modules ``path`` imports (``from fnn import x`` counts x when it is a module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(name for name in names if name in modules)
    return found


def graph(package: str) -> dict[str, set[str]]:
    paths = sorted((ROOT / package).rglob("*.py"))
    modules = {module_name(path) for path in paths}
    arrows = {module_name(path): imports(path, modules) for path in paths}
    for name, targets in arrows.items():  # a package's __init__ is not a dependency of its own modules
        arrows[name] = {t for t in targets if t != name and not name.startswith(t + ".")}
    return arrows


def circles(arrows: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in arrows[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(arrows):
        if v not in index:
            visit(v)
    return found


def floors(arrows: dict[str, set[str]], loops: list[list[str]]) -> dict[str, int]:
    group = {m: tuple(c) for c in loops for m in c}
    floor: dict[str, int] = {}

    def height(v):
        if v not in floor:
            members = group.get(v, (v,))
            for m in members:
                floor[m] = 0
            below = {w for m in members for w in arrows[m]} - set(members)
            value = max((height(w) + 1 for w in below), default=0)
            for m in members:
                floor[m] = value
        return floor[v]

    for v in sorted(arrows):
        height(v)
    return floor


def main(config: Config) -> dict:
    arrows = graph(config.package)
    loops = circles(arrows)
    floor = floors(arrows, loops)
    result = {"modules": len(arrows), "arrows": sum(map(len, arrows.values())),
              "floors": max(floor.values()) + 1, "circles": len(loops), "top-level modules": sum(
                  1 for name in arrows if name.count(".") == 1 and not (ROOT / name.replace(".", "/")).is_dir())}
    print(", ".join(f"{key} {value}" for key, value in result.items()))
    if config.list:
        for level in range(result["floors"]):
            print(f"floor {level}: " + " ".join(sorted(m for m, f in floor.items() if f == level)))
        for loop in loops:
            print("circle: " + " <-> ".join(loop))
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--package", default=Config.package)
    parser.add_argument("--list", action="store_true")
    main(Config(**vars(parser.parse_args())))
