"""Inline suppressions (`# nosec`, `gitleaks:allow`, `checkov:skip=`…): a pull request's own are not
honoured in its scan, as its edits to the config and baseline are not.

Each tool declares the comments that make it skip a finding on their line
(`Tool.inline_suppressions`). On the lines a change adds, the scan view gets them blanked out (the
same number of spaces: lines and columns stay), and the change's policy report lists each one: it
takes effect once merged, when the base holds it.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from mergeguard.scan.registry import TOOLS

# (tool, its marker), any letter case.
MARKERS = [
    (name, re.compile(pattern, re.IGNORECASE))
    for name, tool in TOOLS.items()
    for pattern in tool.inline_suppressions
]


def found(line: str) -> list[tuple[str, str]]:
    """(tool, the marker as written) for each inline suppression on `line`."""
    return [(tool, match.group(0)) for tool, marker in MARKERS for match in marker.finditer(line)]


def blanked(data: bytes, lines: Collection[int]) -> bytes | None:
    """`data` with every inline suppression on `lines` (1-based) turned into spaces; None: none."""
    text = data.decode("utf-8", "surrogateescape").split("\n")
    changed = False
    for number in lines:
        if 0 < number <= len(text):
            line = text[number - 1]
            for _, marker in MARKERS:
                line = marker.sub(lambda m: " " * len(m.group(0)), line)
            changed |= line != text[number - 1]
            text[number - 1] = line
    return "\n".join(text).encode("utf-8", "surrogateescape") if changed else None
