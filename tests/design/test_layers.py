"""The package's layers only look down: a module imports from its own layer or the ones below it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "mergeguard"
# Lowest first. `core` knows no scanner; `vulns` knows packages and images but no tool; `scanners`
# are the tools; `scan` runs them and folds their outcomes; reports render a result; `github` and
# `cli` are the two ways in.
LAYERS = ("core", "vulns", "scanners", "scan", "report", "github", "cli")


def layer_of(module: str) -> int | None:
    """The layer index of `mergeguard.X.…` (None for the package's own `__init__`/`__main__`)."""
    parts = module.split(".")
    if len(parts) < 3 and (len(parts) < 2 or parts[1] in {"__init__", "__main__"}):
        return None
    return LAYERS.index(parts[1]) if parts[1] in LAYERS else -1


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every `mergeguard…` import in the file, at any depth (lazy imports too)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mergeguard"):
            found.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, a.name) for a in node.names if a.name.startswith("mergeguard"))
    return found


def module_name(path: Path) -> str:
    return ".".join(("mergeguard", *path.relative_to(PACKAGE).with_suffix("").parts))


def upward_imports() -> list[str]:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        here = layer_of(module_name(path))
        for line, target in imports_of(path):
            there = layer_of(target)
            if here == -1 or (here is not None and there is not None and there > here):
                wrong.append(f"{path.relative_to(PACKAGE)}:{line}: imports {target}")
    return wrong


def test_every_module_is_in_a_layer() -> None:
    loose = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if layer_of(module_name(p)) == -1]
    assert loose == []


def test_imports_only_look_down() -> None:
    assert upward_imports() == []


@pytest.mark.parametrize(
    ("source", "imported", "upward"),
    [
        ("core", "mergeguard.scan.pipeline.ScanResult", True),
        ("scanners", "mergeguard.core.model.Finding", False),
        ("report", "mergeguard.report.text.plain", False),
        ("cli", "mergeguard.github.action", False),
        ("vulns", "mergeguard.scanners.pip_audit.report.SKIPPED_RULE", True),
    ],
)
def test_the_check_tells_up_from_down(source: str, imported: str, upward: bool) -> None:
    here, there = layer_of(f"mergeguard.{source}.x"), layer_of(imported)
    assert here is not None and there is not None
    assert (there > here) is upward
