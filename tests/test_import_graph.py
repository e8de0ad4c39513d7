"""No import circles between the package's modules, and the layers hold.

A circle (``device`` importing ``device_adapter`` importing ``device``) works
only as long as the import order happens to be right (one direction is often
a lazy import inside a function), and hides which module is the seam.  This
reads every import of every module with ``ast`` — also those inside
functions, which run later but still make the two modules depend on each
other, and those under ``if TYPE_CHECKING:``, which a type checker follows
(a type-hint import is a dependency as real as any) — and looks for a cycle.  A submodule importing its own package (``from . import TargetOption``)
is no edge: Python imports the package before any of its submodules anyway.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import pytest_iosmem

PACKAGE_DIR = Path(pytest_iosmem.__file__).parent


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE_DIR.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(tree: ast.Module):
    """Every import statement: module level, in functions, and under ``if TYPE_CHECKING:``."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node


def import_graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE_DIR.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in _imports(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = package
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                base = f"{base}.{node.module}" if node.level and node.module else (base if node.level else node.module or "")
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
            graph[name].update(t for t in targets if t in modules and t != name and not name.startswith(t + "."))
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_package_has_no_import_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("pytest_iosmem.targets.device", "pytest_iosmem.targets.device_adapter"),
        ("pytest_iosmem.cli.baseline", "pytest_iosmem.cli.baseline_diff"),
        ("pytest_iosmem.cli.baseline", "pytest_iosmem.cli.baseline_update"),
        ("pytest_iosmem.cli.baseline", "pytest_iosmem.cli.baseline_prune"),
    ],
)
def test_the_two_former_circles_stay_broken(a: str, b: str) -> None:
    graph = import_graph()
    assert a not in graph[b], f"{b} imports {a} again"


def test_the_cycle_finder_finds_a_cycle() -> None:
    # the checker itself must be able to fail
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


#: what the pure layers may import from the package (the stdlib and each other aside)
PURE_LAYERS = {
    "pytest_iosmem.verdict": ("pytest_iosmem.verdict", "pytest_iosmem.units", "pytest_iosmem.values",
                              "pytest_iosmem.errors", "pytest_iosmem.timeline"),
    "pytest_iosmem.parsers": ("pytest_iosmem.parsers", "pytest_iosmem.units", "pytest_iosmem.values",
                              "pytest_iosmem.errors", "pytest_iosmem.attribution.stacks"),
}


@pytest.mark.parametrize("layer", sorted(PURE_LAYERS))
def test_pure_layers_import_only_what_is_below_them(layer: str) -> None:
    graph = import_graph()
    allowed = PURE_LAYERS[layer]
    bad = sorted(
        f"{mod} -> {dep}"
        for mod, deps in graph.items() if mod == layer or mod.startswith(layer + ".")
        for dep in deps if not any(dep == a or dep.startswith(a + ".") for a in allowed)
    )
    assert bad == [], f"{layer} reaches above its layer: " + "; ".join(bad)


def test_the_verdict_package_never_imports_pytest() -> None:
    for path in (PACKAGE_DIR / "verdict").rglob("*.py"):
        names = {a.name.split(".")[0] for n in _imports(ast.parse(path.read_text())) if isinstance(n, ast.Import)
                 for a in n.names}
        names |= {(n.module or "").split(".")[0] for n in _imports(ast.parse(path.read_text()))
                  if isinstance(n, ast.ImportFrom) and n.level == 0}
        assert not names & {"pytest", "_pytest"}, f"{path.name} imports pytest"


def test_a_type_hint_import_is_an_edge(tmp_path) -> None:
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .run import IosMemRun\n")
    assert [n.module for n in _imports(tree) if isinstance(n, ast.ImportFrom)] == ["typing", "run"]
