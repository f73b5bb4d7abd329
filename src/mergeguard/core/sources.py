"""The scanned files' lines, as the scanners number them, each file read once."""

from __future__ import annotations

from pathlib import Path

from mergeguard.core.basepolicy import read_regular


class SourceLines:
    """The lines of the files under `root`, split at `\\n` only (the scanners and git count lines
    so; a form feed or U+2028 inside a line is no line break), a trailing CR dropped. A file that
    is not a regular file (a symlink is not followed) or cannot be read has no lines."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._files: dict[str, list[str]] = {}

    def lines(self, path: str) -> list[str]:
        if path not in self._files:
            data = read_regular(self._root / path)
            text = data.decode("utf-8", "replace") if data is not None else ""
            self._files[path] = [line.removesuffix("\r") for line in text.split("\n")] if text else []
        return self._files[path]

    def line(self, path: str, number: int) -> str:
        """Line `number` (1-based) of `path`; "" past its end or for no such file."""
        lines = self.lines(path)
        return lines[number - 1] if 0 < number <= len(lines) else ""
