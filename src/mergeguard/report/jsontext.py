"""JSON text for the reports: written by orjson (Python's encoder is pure Python once given `indent`).

The text is ASCII, as `json.dumps` writes it by default: a bidi override or a C1 control character
in a file name stays an escape in the file, never a raw character in a terminal that shows it.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from mergeguard.core.text import shown_tree

_NON_ASCII = re.compile(r"[^\x00-\x7e]")  # DEL too, as `json.dumps` does


def dumps_indented(value: Any) -> str:
    """`value` as two-space indented ASCII JSON (what orjson refuses, a lone surrogate say, goes to json)."""
    try:
        return _ascii(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode("utf-8"))
    except orjson.JSONEncodeError:
        return json.dumps(value, indent=2)


def dumps_compact(value: Any) -> str:
    """`value` as ASCII JSON without white space (SARIF), the same way."""
    try:
        return _ascii(orjson.dumps(value).decode("utf-8"))
    except orjson.JSONEncodeError:
        return json.dumps(value, separators=(",", ":"))


def dumps_shown(value: Any, *, indent: bool) -> tuple[Any, str]:
    """`shown_tree(value)` and its JSON text (indented or compact): `encode_shown` as a string."""
    value, data = encode_shown(value, indent=indent)
    return value, data.decode("ascii")


def encode_shown(value: Any, *, indent: bool, newline: bool = False) -> tuple[Any, bytes]:
    """`shown_tree(value)` and its JSON text as ASCII bytes (what a report file holds, ending in a
    newline when asked), dumped once in the usual case.

    orjson refuses exactly the documents `shown_tree` would change (a string with a surrogate), so a
    document it writes is already as shown: tens of MB are not dumped once to check and once to write.
    The bytes are orjson's own when they are ASCII already: a big report is not copied into a string
    and back (each copy of 100 MB costs a tenth of a second here, most of it the kernel's).
    """
    end = orjson.OPT_APPEND_NEWLINE if newline else 0
    try:
        data = orjson.dumps(value, option=end | orjson.OPT_INDENT_2 if indent else end)
    except orjson.JSONEncodeError:
        value = shown_tree(value)
        text = dumps_indented(value) if indent else dumps_compact(value)
        return value, (text + "\n" if newline else text).encode("ascii")
    if data.isascii() and b"\x7f" not in data:
        return value, data
    return value, _ascii(data.decode("utf-8")).encode("ascii")


def _ascii(text: str) -> str:
    """Non-ASCII characters and DEL (only ever inside strings) as `\\uXXXX`, pairs above U+FFFF."""
    return text if text.isascii() and "\x7f" not in text else _NON_ASCII.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
