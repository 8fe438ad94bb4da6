"""No import cycles in src/printreg (issue 13 point 1): no module imports a module that imports
it, counting the imports a module runs when it is loaded (module level, outside
``if TYPE_CHECKING``); imports inside functions run later and are how commands stay light."""

from __future__ import annotations

import ast
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import networkx as nx

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = "printreg"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in (SRC / PACKAGE).rglob("*.py")}


def _load_time_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Return the imports run when the module loads: top level, and inside top-level ``if``,
    ``try`` and ``with`` blocks, but not under ``if TYPE_CHECKING``."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.Import | ast.ImportFrom):
                found.append(node)
            elif isinstance(node, ast.If):
                if "TYPE_CHECKING" not in ast.unparse(node.test):
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
                visit(node.orelse)
                visit(node.finalbody)
            elif isinstance(node, ast.With):
                visit(node.body)

    visit(tree.body)
    return found


def _graph() -> nx.DiGraph:
    # Parsed in a fresh thread: CPython 3.11's parser checks a per-thread recursion counter that
    # an earlier deep-recursion test in the same process can leave skewed.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_build_graph).result()


def _build_graph() -> nx.DiGraph:
    modules = _modules()
    graph: nx.DiGraph = nx.DiGraph()
    for name, path in modules.items():
        graph.add_node(name)
        is_package = path.name == "__init__.py"
        for node in _load_time_imports(ast.parse(path.read_text("utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:  # relative: resolve against this module's package
                    anchor = name.split(".") if is_package else name.split(".")[:-1]
                    anchor = anchor[: len(anchor) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                targets = [base]
                targets += [f"{base}.{alias.name}" for alias in node.names]
            for target in targets:
                if target in modules and target != name:
                    graph.add_edge(name, target)
    return graph


def test_the_module_list_is_the_source_tree() -> None:
    graph = _graph()
    assert "printreg.cli.app" in graph
    assert "printreg.cases.service" in graph
    assert graph.number_of_edges() > 300


def test_no_module_imports_a_module_that_imports_it() -> None:
    cycles = [sorted(c) for c in nx.strongly_connected_components(_graph()) if len(c) > 1]
    assert cycles == [], "import cycles (module-level imports):\n" + "\n".join(
        " ↔ ".join(c) for c in cycles
    )


def test_the_checker_sees_a_cycle() -> None:
    graph = _graph()
    graph.add_edge("printreg.cases.schemas", "printreg.cases.service")  # service imports schemas
    assert any(len(c) > 1 for c in nx.strongly_connected_components(graph))
