"""Which Kubernetes resource of a manifest a line belongs to: its YAML documents, and the items of a
`kind: List`. Checkov reports a whole resource, Trivy its pod spec or one container (which need not
end where the resource does: a `nodeSelector` or `volumes` after the containers), so both reports
of one problem are told apart only by the resource they fall in."""

from __future__ import annotations

import re
from bisect import bisect_right

from mergeguard.core.sources import SourceLines

_SEPARATOR = re.compile(r"^(---|\.\.\.)(\s|$)")  # a document's start or end marker
_ITEMS = re.compile(r"^items\s*:\s*(#.*)?$")  # a List's top-level `items:` key
_ITEM = re.compile(r"^(\s*)-(\s|$)")


class Resources:
    """The resource index of a line of a scanned file (the files' lines read once, from `sources`)."""

    def __init__(self, sources: SourceLines) -> None:
        self._sources = sources
        self._starts: dict[str, list[int]] = {}

    def index(self, path: str, line: int) -> int:
        """How many resource boundaries come at or before `line`: equal for lines of one resource."""
        if path not in self._starts:
            self._starts[path] = starts(self._sources.lines(path))
        return bisect_right(self._starts[path], line)


def starts(lines: list[str]) -> list[int]:
    """The 1-based lines where a new resource begins: each document marker, and each item of a
    top-level `items:` list (at the indentation of its first item)."""
    found: list[int] = []
    in_items, indent = False, None
    for number, line in enumerate(lines, start=1):
        if _SEPARATOR.match(line):
            found.append(number)
            in_items, indent = False, None
        elif _ITEMS.match(line):
            in_items, indent = True, None
        elif in_items and (item := _ITEM.match(line)):
            if indent is None:
                indent = item.group(1)
            if item.group(1) == indent:
                found.append(number)
        elif in_items and line[:1] not in ("", " ", "\t", "#", "-"):
            in_items = False  # the next top-level key: the list is over
    return found
