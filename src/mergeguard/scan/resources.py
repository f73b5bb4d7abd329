"""Which Kubernetes resource of a manifest a line belongs to: its YAML documents, and the items of a
`kind: List`. Checkov reports a whole resource, Trivy its pod spec or one container (which need not
end where the resource does: a `nodeSelector` or `volumes` after the containers), so both reports
of one problem are told apart only by the resource they fall in."""

from __future__ import annotations

from bisect import bisect_right

from mergeguard.core import kubedocs
from mergeguard.core.sources import SourceLines


class Resources:
    """The resource index of a line of a scanned file (the files' lines read once, from `sources`)."""

    def __init__(self, sources: SourceLines) -> None:
        self._sources = sources
        self._starts: dict[str, list[int]] = {}
        self._names: dict[tuple[str, int], str] = {}  # by (path, resource index): read once a resource

    def index(self, path: str, line: int) -> int:
        """How many resource boundaries come at or before `line`: equal for lines of one resource."""
        return bisect_right(self._boundaries(path), line)

    def name(self, path: str, line: int) -> str:
        """`Kind/namespace/name` of the resource `line` is in ("" when its lines name no kind and
        name: not a Kubernetes resource, or one written so that they are not plain to read)."""
        bounds = self._boundaries(path)
        at = bisect_right(bounds, line)
        if (path, at) not in self._names:  # a resource of thousands of lines can have thousands of findings
            lines = self._sources.lines(path)
            first = bounds[at - 1] if at else 1
            last = bounds[at] - 1 if at < len(bounds) else len(lines)
            self._names[path, at] = kubedocs.named(lines[first - 1 : last])
        return self._names[path, at]

    def _boundaries(self, path: str) -> list[int]:
        if path not in self._starts:
            self._starts[path] = kubedocs.starts(self._sources.lines(path))
        return self._starts[path]
