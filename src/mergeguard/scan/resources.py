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
            self._names[path, at] = _named(lines[first - 1 : last])
        return self._names[path, at]

    def _boundaries(self, path: str) -> list[int]:
        if path not in self._starts:
            self._starts[path] = starts(self._sources.lines(path))
        return self._starts[path]


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


# A key as YAML or JSON writes it (`kind:`, `"kind":`, `'kind':`); a JSON value ends before its comma.
_KEY = re.compile(r"""^(\s*)(?:-\s+)?(["']?)([A-Za-z]+)\2\s*:\s*(.*?)\s*(#.*)?$""")
_FLOW_FIELD = re.compile(r"""\b(name|namespace)['"]?\s*:\s*['"]?([^,'"}\s]+)""")
_NESTED = re.compile(r"\{[^{}]*\}")  # a mapping inside the flow `metadata: {…}` (its labels)


def _named(segment: list[str]) -> str:
    """`Kind/namespace/name` from a resource's own lines: its top-level `kind:`, and `name:` and
    `namespace:` directly under its top-level `metadata:` (block or flow style, YAML or JSON syntax),
    never a label or annotation of that name deeper down."""
    top: int | None = None
    inner: int | None = None  # the indentation of metadata's own keys
    kind, meta, in_meta = "", {}, False
    for line in segment:
        found = _KEY.match(line)
        if found is None or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" -"))  # a List item's `- ` counts as indentation
        top = indent if top is None else top
        key, value = found.group(3), found.group(4).removesuffix(",").strip().strip("'\"")
        if indent == top:
            in_meta, inner = key == "metadata", None
            kind = value if key == "kind" else kind
            if in_meta and value.startswith("{"):
                meta.update(dict(_FLOW_FIELD.findall(_outer(value[1:]))))
        elif in_meta:
            inner = indent if inner is None else inner
            if indent == inner and key in ("name", "namespace") and key not in meta:
                meta[key] = value
    if not kind or not meta.get("name"):
        return ""
    return f"{kind}/{meta.get('namespace', '')}/{meta['name']}"


def _outer(flow: str) -> str:
    """A flow mapping's text without the mappings nested in it."""
    while (bare := _NESTED.sub("", flow)) != flow:
        flow = bare
    return flow
