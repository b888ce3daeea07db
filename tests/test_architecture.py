"""The package's shape, read from its source with ``ast`` (nothing is imported).

- no import cycle between modules (imports under ``if TYPE_CHECKING:`` aside; imports inside
  functions count, they run too);
- at most 10 modules directly in ``chenzhou_water/`` (``__init__.py`` aside);
- ``engine/`` imports nothing from the package but the error tree, the typing aliases and the
  model-metadata reader, so it stays a generic Vensim-to-numpy compiler.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "chenzhou_water"
MAX_TOP_LEVEL_MODULES = 10
ENGINE_MAY_IMPORT = frozenset({
    "chenzhou_water.errors",
    "chenzhou_water._typing",
    "chenzhou_water.model.metadata",
})


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _runtime_nodes(tree: ast.AST):
    """Every node except those under ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                stack.extend(child.orelse)
            else:
                stack.append(child)


def _resolve(base: str, name: str | None) -> str | None:
    """The package module that ``from base import name`` (or ``import base``) reads."""
    if name is not None and f"{base}.{name}" in MODULES:
        return f"{base}.{name}"
    return base if base in MODULES else None


def imports_of(source: str) -> set[str]:
    """The package modules a source text imports when it runs."""
    tree = ast.parse(source)
    found: set[str] = set()
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            found.update(t for a in node.names if (t := _resolve(a.name, None)))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.update(t for a in node.names if (t := _resolve(node.module, a.name)))
    return found


GRAPH = {m: imports_of(p.read_text(encoding="utf-8")) - {m} for m, p in MODULES.items()}


def test_the_graph_sees_the_package():
    assert "chenzhou_water.engine.compiler" in MODULES
    assert "chenzhou_water.model.metadata" in GRAPH["chenzhou_water.engine.compiler"]


def test_no_import_cycle_between_modules():
    try:
        tuple(TopologicalSorter(GRAPH).static_order())
    except CycleError as exc:
        pytest.fail(f"import cycle: {' -> '.join(exc.args[1])}")


def test_few_modules_at_the_top_of_the_package():
    top = sorted(p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py")
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top


def test_the_engine_imports_only_the_errors_typing_and_model_metadata():
    leaks = {
        module: sorted(t for t in targets
                       if not t.startswith("chenzhou_water.engine") and t not in ENGINE_MAY_IMPORT)
        for module, targets in GRAPH.items() if module.startswith("chenzhou_water.engine")
    }
    assert {m: t for m, t in leaks.items() if t} == {}


def test_imports_under_type_checking_do_not_count_and_those_in_functions_do():
    source = (
        "from typing import TYPE_CHECKING\n"
        "from chenzhou_water import errors\n"
        "if TYPE_CHECKING:\n"
        "    from chenzhou_water.sweep.execute import MemberSample\n"
        "def f():\n"
        "    from chenzhou_water.scenario.spec import load_scenario\n"
        "    import chenzhou_water.engine\n"
    )
    assert imports_of(source) == {
        "chenzhou_water.errors", "chenzhou_water.scenario.spec", "chenzhou_water.engine"}
