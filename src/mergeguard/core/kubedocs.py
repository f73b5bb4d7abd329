"""Where the Kubernetes resources of a manifest's lines begin and end, and what each is named: its YAML
documents, and the items of a `kind: List`, read from the text (no YAML parser: any text gives an answer)."""

from __future__ import annotations

import re
from itertools import pairwise

_SEPARATOR = re.compile(r"^(---|\.\.\.)(\s|$)")  # a document's start or end marker
_ITEMS = re.compile(r"^items\s*:\s*(#.*)?$")  # a List's top-level `items:` key
_ITEM = re.compile(r"^(\s*)-(\s|$)")


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


def named(segment: list[str]) -> str:
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


def spans(lines: list[str]) -> list[tuple[int, int, str]]:
    """(first line, last line, `named`) of each resource of a manifest's `lines`, without the document
    markers around it and the blank lines after it; a stretch of only those is no resource."""
    edges = [1, *starts(lines), len(lines) + 1]
    found = []
    for begin, end in pairwise(edges):
        first, last = begin, end - 1
        while first <= last and _SEPARATOR.match(lines[first - 1]):
            first += 1
        while last >= first and (not lines[last - 1].strip() or _SEPARATOR.match(lines[last - 1])):
            last -= 1
        if first <= last:
            found.append((first, last, named(lines[first - 1 : last])))
    return found
