"""The rules of the house (docs/architecture.md), read off the source: which package may import
which, no import circle, and no folder or file too big a share of the application."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("mediation", "workflows")
AREAS = ("mediation.common", "mediation.infra", "mediation.disputes", "mediation.orgs", "mediation.notifications",
         "mediation.reports", "mediation.documents", "mediation.models")
DOORS = ("mediation.api", "mediation.web", "mediation.commands", "mediation.tasks")
DEMO_DOOR = "mediation.commands.demo"  # the one place the product reaches the demo generator


def _modules() -> dict[str, Path]:
    found = {}
    for top in ("mediation", "workflows", "demo"):
        for path in (ROOT / top).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            found[name] = path
    return found


MODULES = _modules()


def _imports(path: Path, top_level_only: bool = False) -> set[str]:
    """Every module `path` imports (also inside functions, unless `top_level_only`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else ast.walk(tree)
    out: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                out.add(full if full in MODULES else node.module)
        elif isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
    return out


def _within(name: str, packages) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


IMPORTS = {name: _imports(path) for name, path in MODULES.items()}


def test_workflows_know_no_flask_no_database_and_no_application():
    for name, found in IMPORTS.items():
        if _within(name, ("workflows",)):
            bad = {m for m in found if _within(m, ("flask", "sqlalchemy", "flask_sqlalchemy", "mediation", "demo",
                                                   "graphviz", "celery"))}
            assert not bad, f"{name} imports {sorted(bad)}"


@pytest.mark.parametrize("layer, forbidden", [
    (AREAS, DOORS),  # the areas never reach up to the API, the web, commands or tasks
    (("mediation.models",), AREAS[:-1]),  # models know no area
])
def test_imports_point_one_way(layer, forbidden):
    for name, found in IMPORTS.items():
        if _within(name, layer):
            bad = {m for m in found if _within(m, forbidden)}
            assert not bad, f"{name} imports {sorted(bad)}"


def test_the_product_reaches_the_demo_only_through_its_command():
    for name, found in IMPORTS.items():
        if _within(name, PRODUCT) and name != DEMO_DOOR:
            bad = {m for m in found if _within(m, ("demo", "tests", "bench", "tools"))}
            assert not bad, f"{name} imports {sorted(bad)}"


def test_no_import_circle():
    graph = {name: {m for m in found if m in MODULES and m != name} for name, found in IMPORTS.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    assert circles == []


def test_no_folder_or_file_holds_more_than_a_fifth_of_the_application():
    lines = {path: len(path.read_text(encoding="utf-8").splitlines())
             for name, path in MODULES.items() if not _within(name, ("workflows",))}
    total = sum(lines.values())
    folders: dict[Path, int] = {}
    for path, count in lines.items():
        folders[path.parent] = folders.get(path.parent, 0) + count
    too_big = {str(p.relative_to(ROOT)): n for p, n in {**folders, **lines}.items() if n > total / 5}
    assert not too_big, f"more than a fifth of {total} lines: {too_big}; split it by area"
