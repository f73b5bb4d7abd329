"""Inline suppressions a change reaches without writing them: a tool that applies one beyond its own
line (Bandit's `# nosec` to a whole node, detect-secrets' `allowlist nextline` to the next line;
`Tool.reached_suppressions`) would let an untouched marker of the base silence what the change
writes under it. In PR mode they are blanked like the change's own
(`scan.suppressions`) and listed with them."""

from __future__ import annotations

from mergeguard.core.changes import ChangedFile
from mergeguard.core.sources import SourceLines
from mergeguard.scan import suppressions
from mergeguard.scan.registry import TOOLS


def lines(changed: ChangedFile, data: bytes) -> dict[str, frozenset[int]]:
    """Per tool, the untouched lines of `data` whose marker covers what the change wrote there."""
    found = {}
    for name, tool in TOOLS.items():
        reach, scanner = tool.reached_suppressions, tool.scanner
        if reach is not None and scanner is not None and changed.kinds & scanner.applies_to:
            found[name] = reach(data, changed.lines or frozenset())
    return {name: numbers for name, numbers in found.items() if numbers}


def blanked(changed: ChangedFile, data: bytes) -> bytes | None:
    """`data` with those markers (and no other tool's) turned into spaces; None: none."""
    reach = lines(changed, data)
    if not reach:
        return None
    text = data.decode("utf-8", "surrogateescape").split("\n")
    for name, numbers in reach.items():
        for pattern in [marker for tool, marker in suppressions.MARKERS if tool == name]:
            for number in numbers:
                text[number - 1] = pattern.sub(suppressions.spaces, text[number - 1])
    return "\n".join(text).encode("utf-8", "surrogateescape")


def effects(changed: ChangedFile, data: bytes | None, sources: SourceLines) -> list[str]:
    """The policy report's lines for them."""
    return [
        f"line {number} holds {tool}'s inline suppression ({marker}), which reaches a line the change"
        " edits: not honoured until merged"
        for name, numbers in lines(changed, data or b"").items()
        for number in sorted(numbers)
        for tool, marker in suppressions.found(sources.line(changed.path, number))
        if tool == name
    ]
