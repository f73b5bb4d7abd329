"""A change's pyproject.toml with the merge-base's Bandit settings in place of its own.

pyproject.toml is both a dependency manifest (scanned as the change wrote it) and Bandit's config
(`[tool.bandit]`, which the change must not write for the run that judges it).
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_MISSING = object()


def bandit_table(data: bytes | None) -> Any:
    """The `[tool.bandit]` table of a pyproject.toml (None when absent); a marker when unreadable."""
    try:
        tool = tomllib.loads((data or b"").decode("utf-8")).get("tool", {})
    except (ValueError, UnicodeDecodeError):
        return _MISSING
    return tool.get("bandit") if isinstance(tool, dict) else _MISSING


def with_base_bandit(change: bytes, base: bytes | None) -> bytes | None:
    """`change` with its `[tool.bandit]` tables swapped for `base`'s; None if that cannot be exact.

    Exact means: the result parses, its Bandit table is the base's, and everything else is the
    change's. Tables written another way (dotted keys, an inline `tool = {…}`) are not rewritten.
    """
    wanted = bandit_table(base)
    if wanted is _MISSING or bandit_table(change) is _MISSING:
        return None
    kept, _ = _split(change.decode("utf-8"))
    _, moved = _split((base or b"").decode("utf-8"))
    text = kept.rstrip("\n") + "\n" + ("\n" + moved.rstrip("\n") + "\n" if moved else "")
    try:
        result = tomllib.loads(text)
        original = tomllib.loads(change.decode("utf-8"))
    except ValueError:
        return None
    if _without_bandit(result) != wanted:
        return None
    _without_bandit(original)
    return text.encode("utf-8") if result == original else None


def _without_bandit(document: dict[str, Any]) -> Any:
    """Takes `tool.bandit` out of `document` (and `tool` if that leaves it empty); returns it."""
    tool = document.get("tool")
    if not isinstance(tool, dict):
        return None
    table = tool.pop("bandit", None)
    if not tool:
        del document["tool"]
    return table


def _split(text: str) -> tuple[str, str]:
    """The text outside the `[tool.bandit…]` tables, and the text of those tables."""
    outside: list[str] = []
    inside: list[str] = []
    current = outside
    for line in text.splitlines(keepends=True):
        header = _HEADER.match(line)
        if header:
            name = re.sub(r"\s*\.\s*", ".", header.group(1)).replace('"', "")
            current = inside if name == "tool.bandit" or name.startswith("tool.bandit.") else outside
        current.append(line)
    return "".join(outside), "".join(inside)
