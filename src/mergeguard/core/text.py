"""Makes tool-supplied text safe to print: no control characters, no terminal escapes, no commands."""

from __future__ import annotations

import re
from typing import Any, TypeVar, cast

import orjson

_T = TypeVar("_T")

# Control characters, line and paragraph separators, bidi overrides, and surrogates: a surrogate
# U+DC80-U+DCFF is a byte of a non-UTF-8 file name (Python's surrogateescape), shown as `\xNN`.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_STRAY_SURROGATE = re.compile(r"[\ud800-\udc7f\udd00-\udfff]")
# A line GitHub's runner reads as a workflow command once leading white space is trimmed.
_COMMAND_LINE = re.compile(r"^([^\S\r\n]*)([:#])(?=:|#\[)", re.MULTILINE)  # .NET trims any space


def plain(text: str, limit: int = 0) -> str:
    """`text` on one line, inert in a terminal and a job log; cut to `limit` if given.

    Every control, bidi and surrogate character is shown as `\\xNN`/`\\uNNNN`, and a leading
    `::` or `##[` (a workflow command) becomes `\\x3a:` or `\\x23#[`.
    """
    flat = inert_lines(_CONTROL.sub(_escaped, text))
    return flat if not limit or len(flat) <= limit else flat[: limit - 1] + "…"


def inert_lines(text: str) -> str:
    """`text` with every line that would start a workflow command (`::`, `##[`) defused."""
    return _COMMAND_LINE.sub(lambda m: f"{m.group(1)}\\x{ord(m.group(2)):02x}", text)


def loggable(text: str) -> str:
    """`text` for a workflow command: as `plain`, but CR and LF kept for the command's own escaping."""
    return _CONTROL.sub(lambda m: m.group(0) if m.group(0) in "\r\n" else _escaped(m), text)


def shown(text: str) -> str:
    """`text` with its surrogates shown as `\\xNN` (a byte of a non-UTF-8 name) or `\\uNNNN`."""
    return _SURROGATE.sub(_escaped, text) if _SURROGATE.search(text) else text


def shown_tree(value: _T) -> _T:
    """`value` (a JSON document) with `shown` applied to every string, keys included."""
    try:  # one pass in C finds the usual case: orjson refuses exactly the strings with a surrogate
        orjson.dumps(value)
    except orjson.JSONEncodeError:
        return cast(_T, _shown_tree(value))
    return value


def _shown_tree(value: Any) -> Any:
    if isinstance(value, str):
        return shown(value)
    if isinstance(value, dict):
        return {shown(str(key)): _shown_tree(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_shown_tree(item) for item in value]
    return value


def path_bytes(path: str) -> bytes:
    """The bytes a surrogate-escaped name stands for (other lone surrogates: U+FFFD)."""
    return _STRAY_SURROGATE.sub("\ufffd", path).encode("utf-8", "surrogateescape")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
