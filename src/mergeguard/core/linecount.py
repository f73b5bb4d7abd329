"""A file's lines counted as the scanners and git count them: at each `\\n`."""

from __future__ import annotations

from pathlib import Path


def line_count(path: Path) -> int | None:
    """How many lines a file has, counted as the tools count them (None when it cannot be read)."""
    try:
        with path.open("rb") as handle:
            return sum(1 for _ in handle)
    except OSError:
        return None


def all_lines(path: Path) -> frozenset[int]:
    """Every line number of a file (empty when it cannot be read)."""
    return frozenset(range(1, (line_count(path) or 0) + 1))
