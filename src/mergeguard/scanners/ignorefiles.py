"""What a change to a tool's line-per-entry ignore file (one path, rule or fingerprint a line) ignores."""

from __future__ import annotations


def line_ignores(before: bytes | None, after: bytes | None) -> list[str]:
    """One line per entry the change adds ("ignores ENTRY"), comments and blank lines left out."""
    old = set(_lines(before))
    added = [line for line in _lines(after) if line not in old]
    return [f"ignores {line}" for line in added] or ["ignores nothing more"]


def _lines(data: bytes | None) -> list[str]:
    text = (data or b"").decode("utf-8", "replace")
    return [s for s in (line.strip() for line in text.splitlines()) if s and not s.startswith("#")]
