"""Reading the JSON reports users hand to `convert`: banners around the JSON, typed field access."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from mergeguard.core import jsonload
from mergeguard.core.errors import ParseError
from mergeguard.core.jsonfields import need_list, or_empty
from mergeguard.scanners.base import Target, as_scanned, relative_path

_T = TypeVar("_T")
# Where a report may start: a line beginning with `[` or `{`. A banner line can start with `[`
# too ("[notice] …"), so every such line is tried in turn; an indented start is tried only when
# no line starts at column 0 (the nested lines of a cut-off pretty-printed report must not pass).
_LINE_START = re.compile(r"^[\[{]", re.MULTILINE)
_INDENTED_START = re.compile(r"^[ \t]+(?=[\[{])", re.MULTILINE)


def load_report(text: str, tool: str) -> Any:
    """The first JSON value that starts a line; a banner before it and text after it are ignored.

    Safety 3 prints its deprecation banner both before and after the report; pip-audit 1.x printed
    "Found N known vulnerabilities…" before it. A report cut off anywhere fails to decode.
    """
    return _decode_first(text, tool)[0]


def load_all(text: str, tool: str) -> list[Any]:
    """Every JSON value written back to back from the report's start (`[][{…}]`: appended runs)."""
    value, position = _decode_first(text, tool)
    values = [value]
    while (position := _skip_space(text, position)) < len(text) and text[position] in "[{":
        try:
            value, position = jsonload.parse(text, position, bounds_checked=True)
        except jsonload.JsonProblem as exc:
            raise ParseError(f"{tool}: a JSON report does not parse: {exc.detail}") from None
        values.append(value)
    return values


def field(holder: dict[str, Any], key: str, kind: type[_T], tool: str, where: str) -> _T:
    """`holder[key]` checked to be a `kind`; absent or null gives the empty `kind()` ("", 0, [], {})."""
    return or_empty(holder.get(key), kind, lambda _: _wrong(tool, f"{where}.{key}", f"a {_type_name(kind)}"))


def required(holder: dict[str, Any], key: str, tool: str, where: str) -> str:
    """A string field that must be present and non-empty."""
    value = field(holder, key, str, tool, where)
    if not value.strip():
        raise ParseError(f"{tool}: {where}.{key} is missing")
    return value


def objects(value: Any, tool: str, where: str) -> list[dict[str, Any]]:
    """`value` checked to be a list of JSON objects; null is an empty list."""
    return need_list(value, dict, lambda _: _wrong(tool, where, "a list of objects"), null=True)


def strings(value: Any, tool: str, where: str) -> tuple[str, ...]:
    """`value` checked to be a list of strings; null is empty."""
    if value is None:
        return ()
    return tuple(need_list(value, str, lambda _: _wrong(tool, where, "a list of strings")))


def repo_path(reported: str, target: Target, tool: str) -> str:
    """A reported path made repo-relative POSIX: Windows separators, `./`, the root, a leading `/`.

    A leading `/` is the scan root (Checkov, Grype and others write paths that way) unless the path
    starts with `--root` itself. An absolute Windows path (`C:/…`) is placed only under a `--root`
    that names it (a report made on Windows, read elsewhere); any other is an error.
    """
    if (named := as_scanned(reported, target)) is not None:  # `back\\slash.py`: a Linux file's name
        return named
    return _repo_path(reported, target.root, tool)  # a report names few paths, each many times


@functools.lru_cache(maxsize=65_536)
def _repo_path(reported: str, root: Path, tool: str) -> str:
    target = Target(root, (), root)
    try:
        return relative_path(reported, target)
    except ParseError as exc:
        raise ParseError(f"{tool}: {exc}") from None


def basename(path: str) -> str:
    return PurePosixPath(path.replace("\\", "/")).name


def excerpt(text: str) -> str:
    flat = " ".join(text.split())
    if not flat:
        return "empty input"
    return repr(flat[:60] + ("..." if len(flat) > 60 else ""))


def _decode_first(text: str, tool: str) -> tuple[Any, int]:
    """The first start that decodes, the text's size and depth checked once for all starts."""
    try:
        jsonload.check_bounds(text)
    except jsonload.JsonProblem as exc:
        raise ParseError(f"{tool}: the JSON report cannot be read: {exc.detail}") from None
    error: jsonload.JsonProblem | None = None
    for start in _starts(text):
        try:
            return jsonload.parse(text, start, bounds_checked=True)
        except jsonload.JsonProblem as exc:
            error = error or exc
    if error is None:
        raise ParseError(f"{tool}: no JSON report in the input ({excerpt(text)})")
    raise ParseError(f"{tool}: the JSON report does not parse: {error.detail}")


def _starts(text: str) -> Iterator[int]:
    """Each line start in turn, found as it is tried (the first one decodes a 100 MB report)."""
    found = False
    for match in _LINE_START.finditer(text):
        found = True
        yield match.start()
    if not found and (indented := _INDENTED_START.search(text)):
        yield indented.end()


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position].isspace():
        position += 1
    return position


def _wrong(tool: str, where: str, expected: str) -> ParseError:
    return ParseError(f"{tool}: {where} is not {expected}")


def _type_name(kind: type) -> str:
    return {str: "string", int: "number", list: "list", dict: "object"}.get(kind, kind.__name__)
