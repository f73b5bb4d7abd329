"""A tool's `[tool.NAME]` table in a pyproject.toml: read it, and put the base's in place of the change's.

pyproject.toml is both a dependency manifest (scanned as the change wrote it) and some tools' config
(`[tool.NAME]`, which the change must not write for the run that judges it).
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_MISSING = object()


def tool_table(data: bytes | None, name: str) -> Any:
    """The `[tool.NAME]` table of a pyproject.toml (None when absent); a marker when unreadable."""
    try:
        tool = tomllib.loads((data or b"").decode("utf-8")).get("tool", {})
    except (ValueError, UnicodeDecodeError):
        return _MISSING
    return tool.get(name) if isinstance(tool, dict) else _MISSING


def with_base_table(change: bytes, base: bytes | None, name: str) -> bytes | None:
    """`change` with its `[tool.NAME]` tables swapped for `base`'s; None if that cannot be exact.

    Exact means: the result parses, its NAME table is the base's, and everything else is the
    change's. Tables written another way (dotted keys, an inline `tool = {…}`) are not rewritten.
    """
    wanted = tool_table(base, name)
    if wanted is _MISSING or tool_table(change, name) is _MISSING:
        return None
    kept, _ = _split(change.decode("utf-8"), name)
    _, moved = _split((base or b"").decode("utf-8"), name)
    text = kept.rstrip("\n") + "\n" + ("\n" + moved.rstrip("\n") + "\n" if moved else "")
    try:
        result = tomllib.loads(text)
        original = tomllib.loads(change.decode("utf-8"))
    except ValueError:
        return None
    if _without(result, name) != wanted:
        return None
    _without(original, name)
    return text.encode("utf-8") if result == original else None


def _without(document: dict[str, Any], name: str) -> Any:
    """Takes `tool.NAME` out of `document` (and `tool` if that leaves it empty); returns it."""
    tool = document.get("tool")
    if not isinstance(tool, dict):
        return None
    table = tool.pop(name, None)
    if not tool:
        del document["tool"]
    return table


def _split(text: str, name: str) -> tuple[str, str]:
    """The text outside the `[tool.NAME…]` tables, and the text of those tables."""
    outside: list[str] = []
    inside: list[str] = []
    current = outside
    table = f"tool.{name}"
    for line in text.splitlines(keepends=True):
        header = _HEADER.match(line)
        if header:
            found = re.sub(r"\s*\.\s*", ".", header.group(1)).replace('"', "")
            current = inside if found == table or found.startswith(f"{table}.") else outside
        current.append(line)
    return "".join(outside), "".join(inside)
