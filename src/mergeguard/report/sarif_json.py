"""SARIF as written: sarif-om objects as JSON, the compact ASCII text, and its gzipped size."""

from __future__ import annotations

import functools
import gzip
from typing import Any

import attr

from mergeguard.report.jsontext import dumps_compact, encode_shown

_ALWAYS_WRITTEN = frozenset({"level"})  # equals SARIF's default "warning", yet readers look for it


def dumps_sarif(doc: dict[str, Any]) -> str:
    """The SARIF text as written: compact, ASCII-only JSON (any text a tool printed survives)."""
    return sarif_bytes(doc).decode("ascii")


def sarif_bytes(doc: dict[str, Any]) -> bytes:
    """`dumps_sarif` as the bytes of the file."""
    if _MEASURED and _MEASURED[0][0] is doc:  # `build_sarif` measured it: tens of MB are not written twice
        return _MEASURED.pop()[1]
    return encode_shown(doc, indent=False, newline=True)[1]


def has_runs(text: str) -> bool:
    """Whether mergeguard's SARIF text (`dumps_sarif`: compact, every string escaped) has a run; read
    without parsing tens of MB. Its only `"runs"` key is the log's: a quote inside a string is `\\"`."""
    return '"runs":[]' not in text


def gzipped_size(doc: dict[str, Any]) -> int:
    """Bytes of the written document gzipped as an uploader would (zlib's default level)."""
    return len(gzip.compress(dumps_compact(doc).encode("ascii") + b"\n", compresslevel=6, mtime=0))


def measured(doc: dict[str, Any], limit: int) -> tuple[dict[str, Any], int]:
    """The document as written (every string `shown`) and its gzipped size, or a bound of it that is
    within `limit` (the full measure only for a document near or over it); `sarif_bytes` reuses them.
    """
    doc, data = encode_shown(doc, indent=False, newline=True)
    _MEASURED[:] = [(doc, data)]
    if _deflate_bound(len(data)) <= limit:  # gzip cannot grow it past the limit: nothing to compress
        return doc, _deflate_bound(len(data))
    quick = len(gzip.compress(data, compresslevel=1, mtime=0))  # a third of the default level's time
    if quick <= limit:  # the default level packs JSON at least as tight as level 1 does
        return doc, quick
    return doc, len(gzip.compress(data, compresslevel=6, mtime=0))


def _deflate_bound(size: int) -> int:
    """The most bytes gzip can make of `size` bytes (zlib's `deflateBound` plus gzip's 18-byte frame)."""
    return size + (size >> 12) + (size >> 14) + (size >> 25) + 13 + 18


# The last document measured and its text, until it is written (every caller writes what it built).
_MEASURED: list[tuple[dict[str, Any], bytes]] = []


def to_json(value: Any) -> Any:
    """A sarif-om object as SARIF JSON: camelCase names; no None, schema default or empty property bag.

    Lists stay even when empty: GitHub requires `results` on every run and `rules` on every driver.
    """
    if type(value) is str or isinstance(value, str | int | float):  # most values: strings
        return value
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items() if item is not None}
    out = {}
    for name, key, default in _fields(value.__class__):
        item = getattr(value, name)
        if item is not None and item != default and (written := to_json(item)) != {}:
            out[key] = written
    return out


@functools.cache
def _fields(cls: Any) -> tuple[tuple[str, str, Any], ...]:
    """(attribute, JSON name, default to leave out) of a sarif-om class, read once from its metadata."""
    fields = []
    for field in attr.fields(cls):
        default = field.default
        if isinstance(default, attr.Factory):  # type: ignore[arg-type]  # attrs' sentinel class
            default = default.factory()
        if field.name in _ALWAYS_WRITTEN:
            default = None  # None is never written: nothing is left out for equalling it
        fields.append((field.name, field.metadata["schema_property_name"], default))
    return tuple(fields)
