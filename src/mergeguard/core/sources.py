"""The scanned files' lines, as the scanners number them, each file read once."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from mergeguard.core import links
from mergeguard.core.basepolicy import read_regular
from mergeguard.core.model import Location


class SourceLines:
    """The lines of the files under `root`, split at `\\n` only (the scanners and git count lines
    so; a form feed or U+2028 inside a line is no line break), a trailing CR dropped. A symlink is
    read as the file it leads to inside `root` (`core.links`); any other file that is not a regular
    file, or cannot be read, has no lines."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._files: dict[str, list[str]] = {}

    def lines(self, path: str) -> list[str]:
        if path not in self._files:
            full = self._root / path
            data = read_regular(links.target(self._root, full) or full)  # a link: its target in the repo
            text = data.decode("utf-8", "replace") if data is not None else ""
            self._files[path] = [line.removesuffix("\r") for line in text.split("\n")] if text else []
        return self._files[path]

    def within(self, location: Location) -> Location:
        """`location` ending at its file's last line at most (Checkov ends a workflow step's range
        past it); unchanged for a file with no lines here (an image's placeholder, a missing file)."""
        lines = self.lines(location.path)
        last = len(lines) - (1 if lines and not lines[-1] else 0)
        if not last or location.end_line <= last:
            return location
        return replace(location, end_line=max(last, location.start_line))

    def line(self, path: str, number: int) -> str:
        """Line `number` (1-based) of `path`; "" past its end or for no such file."""
        lines = self.lines(path)
        return lines[number - 1] if 0 < number <= len(lines) else ""
