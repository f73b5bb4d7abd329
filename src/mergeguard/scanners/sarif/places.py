"""Where a SARIF result is: its first location's parts, the run's URI bases, a place for none."""

from __future__ import annotations

import re
from typing import Any

from mergeguard.scanners.reading import field
from mergeguard.scanners.sarif.results import NAME

_INT_OR_NONE = frozenset({int, type(None)})
REGION_KEYS = ("startLine", "endLine", "startColumn")


def region_number(region: dict[str, Any], key: str, where: str) -> int:
    """A region's line or column; a whole number written as a float (`5.0`) is that number."""
    value = region.get(key)
    if type(value) is float and value.is_integer():
        return int(value)
    return field(region, key, int, NAME, where)


UNPLACED_PREFIX = "unplaced/"  # where a result that names no file is placed, followed by its tool
_UNSAFE = re.compile(r"[^a-z0-9._-]+")


def unplaced_path(tool: str) -> str:
    """`unplaced/TOOL`: the place of a result that names no file (Dockle's image checks, say)."""
    return UNPLACED_PREFIX + (_UNSAFE.sub("_", tool.lower()).strip("._") or NAME)


def plain_location(result: dict[str, Any]) -> tuple[str, str, int, int, int] | None:
    """(uri, base id, start line, end line, column) of a first location that has every part of the
    type `_location` checks for and a uri; None for any other, which `_location` reads field by field."""
    locations = result.get("locations")
    if type(locations) is not list or {*map(type, locations)} != {dict}:  # `objects` checks them all
        return None
    physical = locations[0].get("physicalLocation")
    if type(physical) is not dict:
        return None
    artifact, region = physical.get("artifactLocation"), physical.get("region")
    if type(artifact) is not dict or type(region) is not dict:
        return None
    uri, base_id = artifact.get("uri"), artifact.get("uriBaseId")
    start, end, column = region.get("startLine"), region.get("endLine"), region.get("startColumn")
    if type(uri) is not str or not uri or (base_id is not None and type(base_id) is not str):
        return None
    if not {type(start), type(end), type(column)} <= _INT_OR_NONE:
        return None
    return uri, base_id or "", start or 0, end or 0, column or 0


def uri_bases(declared: dict[str, Any]) -> dict[str, str]:
    bases = {}
    for name, value in declared.items():
        uri = value.get("uri") if isinstance(value, dict) else None
        if isinstance(uri, str) and uri:
            bases[name] = uri if uri.endswith("/") else uri + "/"
    return bases
