"""A tool lives in one module: its name is written nowhere else, and the registry finds every declaration."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

from mergeguard.scan import equivalence, registry
from mergeguard.scanners.sarif.reader import SarifReport
from mergeguard.scanners.tool import Tool, declared

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "mergeguard"
SCANNERS = PACKAGE / "scanners"


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")


def defines_tools(path: Path) -> bool:
    """Whether the module assigns `TOOLS` at its top level."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assigns = [node for node in tree.body if isinstance(node, ast.Assign | ast.AnnAssign)]
    targets = [t for node in assigns for t in _targets(node)]
    return any(isinstance(t, ast.Name) and t.id == "TOOLS" for t in targets)


def _targets(node: ast.Assign | ast.AnnAssign) -> list[ast.expr]:
    return list(node.targets) if isinstance(node, ast.Assign) else [node.target]


def homes() -> dict[str, Path]:
    """Each tool's one place: its module, or the package holding it when that is not `scanners` itself."""
    found: dict[str, Path] = {}
    for path in sorted(SCANNERS.rglob("*.py")):
        if not defines_tools(path):
            continue
        module = importlib.import_module(module_name(path))
        home = path if path.parent == SCANNERS else path.parent
        found |= {tool.name: home for tool in module.TOOLS}
    return found


def literals(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every string constant in the file but docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def named_tools() -> list[str]:
    """Every tool the registry knows, but the format readers whose name is also a file format's (SARIF)."""
    return [name for name, tool in registry.TOOLS.items() if not isinstance(tool.reader, SarifReport)]


def test_a_tool_is_named_only_in_its_own_module() -> None:
    where = homes()
    wrong = []
    for name in named_tools():
        pattern = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", re.IGNORECASE)
        home = where[name]
        for path in sorted(PACKAGE.rglob("*.py")):
            if path == home or home in path.parents:
                continue
            found = [line for line, text in literals(path) if pattern.search(text)]
            wrong += [f"{path.relative_to(PACKAGE)}:{line}: {name}" for line in found]
    assert wrong == []


def test_the_registry_finds_every_module_that_declares_tools() -> None:
    modules = {module_name(p) for p in SCANNERS.rglob("*.py") if defines_tools(p)}
    expected = [tool for m in sorted(modules) for tool in importlib.import_module(m).TOOLS]
    assert modules, "no module declares TOOLS"
    assert sorted(t.name for t in expected) == sorted(t.name for t in declared()) == sorted(registry.TOOLS)
    assert all(isinstance(tool, Tool) for tool in expected)


def test_scan_and_convert_use_the_tools_own_names() -> None:
    tools = registry.TOOLS.values()
    assert list(registry.REGISTRY) == [t.name for t in tools if t.scanner is not None]
    assert list(registry.READERS) == [t.name for t in tools if t.reader is not None]
    assert all(scanner.name == name for name, scanner in registry.REGISTRY.items())
    assert all(reader.name == name for name, reader in registry.READERS.items())
    assert len(registry.TOOLS) == len(declared()), "two tools declare the same name"


def test_scanners_start_slowest_first_as_declared() -> None:
    orders = [registry.TOOLS[name].start_order for name in registry.REGISTRY]
    assert orders == sorted(orders) and len(set(orders)) == len(orders)


def test_declarations_name_known_concepts_and_tools() -> None:
    for tool in registry.TOOLS.values():
        assert set(tool.line_concepts.values()) <= equivalence.LINE_CONCEPTS, tool.name
        assert set(tool.file_concepts.values()) <= equivalence.FILE_CONCEPTS, tool.name
        assert set(tool.resource_concepts.values()) <= equivalence.RESOURCE_CONCEPTS, tool.name
        for other in (tool.checks_as, tool.engine, tool.covered_by):
            assert other is None or other in registry.TOOLS, (tool.name, other)
        declared_files = {f.name for f in tool.config_files}
        assert set(tool.policy_effects) <= declared_files | {"setup.cfg"}, tool.name
