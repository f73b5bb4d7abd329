"""Bounded JSON reading for every JSON that comes from outside: size, depth and odd values checked."""

from __future__ import annotations

import json
import math
import re
from itertools import accumulate
from typing import Any

from mergeguard.core.errors import MergeguardError, UsageError

MAX_BYTES = 256 * 1024 * 1024
"""The largest JSON text read (real reports of large monorepos reach tens of megabytes)."""
MAX_DEPTH = 128
"""The deepest nesting of arrays and objects read (real reports and API answers stay below 20)."""

# Every byte but the brackets and the quotes, deleted by `bytes.translate` (C speed) for the depth
# pre-scan: once escaped quotes are gone, a bracket is inside a string when an odd number of quotes
# precede it.
_NOT_BRACKET_OR_QUOTE = bytes(byte for byte in range(256) if byte not in b'[]{}"')
_INNERMOST = re.compile(r"\[\]|\{\}")
_ROUNDS = 16
_COUNTED = 1 << 20  # a text this long may have its brackets counted first (a few: no depth to check)
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[{]|[\]}]', re.DOTALL)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # searched alone: its literal start is fast
_RAW_SURROGATE = re.compile("[\ud800-\udfff]")
_STRAY_SURROGATE = re.compile(r"[\ud800-\udc7f\udd00-\udfff]")
_SPACE = re.compile(r"[ \t\r\n]*")


class JsonProblem(ValueError):
    """Why a JSON text cannot be read, and where ("LINE:COL", or "" for the whole text)."""

    def __init__(self, problem: str, where: str = "") -> None:
        self.problem = problem
        self.where = where
        super().__init__(self.detail)

    @property
    def detail(self) -> str:
        """ "PROBLEM at line L column C", for callers that name the source their own way."""
        if not self.where:
            return self.problem
        line, column = self.where.split(":")
        # Some of Python's messages end in "at" already ("Unterminated string starting at").
        return f"{self.problem.removesuffix(' at')} at line {line} column {column}"

    def line(self, source: str) -> str:
        """The one-line error: "SOURCE:LINE:COL: not readable JSON: PROBLEM"."""
        where = f"{source}:{self.where}" if self.where else source
        return f"{where}: not readable JSON: {self.problem}"


def loads(
    text: str,
    source: str,
    *,
    max_bytes: int | None = None,
    max_depth: int | None = None,
    error: type[MergeguardError] = UsageError,
) -> Any:
    """The JSON value `text` holds; `error` with one line "SOURCE:LINE:COL: …" when it cannot be read.

    NaN, Infinity and numbers too large for a float read as null (Python's `json.dumps` writes
    them; no field of any report needs them). Lone surrogates U+DC80 to U+DCFF are kept: they are the
    bytes of a non-UTF-8 file name (Python's `json.dumps` of an `os.walk` name); any other lone
    surrogate becomes U+FFFD.
    """
    try:
        return parse_whole(text, max_bytes=max_bytes, max_depth=max_depth)
    except JsonProblem as exc:
        raise error(exc.line(source)) from None


def parse_whole(
    text: str, start: int = 0, *, max_bytes: int | None = None, max_depth: int | None = None
) -> Any:
    """The one JSON value of `text[start:]` (white space around it allowed); `JsonProblem` if none."""
    value, end = parse(text, _skip_space(text, start), max_bytes=max_bytes, max_depth=max_depth)
    end = _skip_space(text, end)
    if end < len(text):
        raise JsonProblem("Extra data", _where(text, end))
    return value


def decode(
    text: str,
    source: str,
    start: int = 0,
    *,
    max_bytes: int | None = None,
    max_depth: int | None = None,
    error: type[MergeguardError] = UsageError,
) -> tuple[Any, int]:
    """The JSON value starting at `start` and where it ends (text after it is the caller's)."""
    try:
        return parse(text, start, max_bytes=max_bytes, max_depth=max_depth)
    except JsonProblem as exc:
        raise error(exc.line(source)) from None


def parse(
    text: str,
    start: int = 0,
    *,
    max_bytes: int | None = None,
    max_depth: int | None = None,
    bounds_checked: bool = False,
) -> tuple[Any, int]:
    """`decode` raising `JsonProblem`, for callers that word the error line themselves.

    `bounds_checked`: the caller ran `check_bounds` on the whole text already (several starts).
    """
    if not bounds_checked:
        check_bounds(text, start, max_bytes=max_bytes, max_depth=max_depth)
    decoder = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite_float)
    try:
        value, end = decoder.raw_decode(text, start)
    except json.JSONDecodeError as exc:
        raise JsonProblem(exc.msg, f"{exc.lineno}:{exc.colno}") from None
    except ValueError:  # an integer past Python's 4,300-digit limit
        raise JsonProblem("a number longer than 4,300 digits") from None
    except RecursionError:  # not expected past `check_bounds`; the last line of defence
        raise JsonProblem("nested too deeply to read") from None
    if _SURROGATE_ESCAPE.search(text, start, end) or (
        not text.isascii() and _RAW_SURROGATE.search(text, start, end)
    ):
        value = _clean_surrogates(value)
    return value, end


def check_bounds(
    text: str, start: int = 0, *, max_bytes: int | None = None, max_depth: int | None = None
) -> None:
    """`JsonProblem` when `text` is larger than `max_bytes` or nests deeper than `max_depth` levels."""
    max_bytes = MAX_BYTES if max_bytes is None else max_bytes  # read now: tests lower the bounds
    max_depth = MAX_DEPTH if max_depth is None else max_depth
    size = len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise JsonProblem(f"{size:,} bytes, more than the {max_bytes:,} read")
    if len(text) - start <= _COUNTED and text.count("[", start) + text.count("{", start) <= max_depth:
        return  # too few brackets to nest that deep (a big text has more: counting them costs a pass)
    if _depth_exceeds(_brackets(text[start:] if start else text), max_depth):
        raise JsonProblem(f"nested deeper than {max_depth} levels", _too_deep_at(text, start, max_depth))


def _brackets(text: str) -> str:
    """The brackets of `text` outside JSON strings, in order (what decides the depth).

    Escaped backslashes, then escaped quotes, go first (a run of backslashes starts with an escape);
    `bytes.translate` keeps only brackets and quotes; two quotes side by side go (an empty string, or
    two strings with only `:` or `,` between them: no bracket changes sides). What is left between the
    quotes that remain is inside a string.
    """
    if "\\" in text:
        text = text.replace("\\\\", "").replace('\\"', "")
    kept = text.encode("utf-8", "surrogatepass").translate(None, _NOT_BRACKET_OR_QUOTE)
    kept = kept.replace(b'""', b"")
    if b'"' in kept:
        kept = b"".join(kept.split(b'"')[::2])
    return kept.decode("ascii")


def _depth_exceeds(brackets: str, max_depth: int) -> bool:
    """Whether matched brackets nest past `max_depth`. A few rounds remove the innermost pairs at C
    speed (a real report is gone in as many rounds as it is deep); what is left is counted one
    bracket at a time. Brackets that do not match are left to the decoder to name."""
    rounds = min(max_depth, _ROUNDS)
    for _ in range(rounds):
        inner = _INNERMOST.sub("", brackets)
        if len(inner) == len(brackets) or not inner:
            return False
        brackets = inner
    depths = accumulate(1 if bracket in "[{" else -1 for bracket in brackets)
    return max(depths, default=0) > max_depth - rounds


def _too_deep_at(text: str, start: int, max_depth: int) -> str:
    """ "LINE:COL" of the bracket that opens level `max_depth + 1` (the slow path: errors only)."""
    depth = 0
    for match in _TOKEN.finditer(text, start):
        piece = match.group()
        depth += 1 if piece in "[{" else -1 if piece in "]}" else 0
        if depth > max_depth:
            return _where(text, match.start())
    return ""


def _where(text: str, position: int) -> str:
    line = text.count("\n", 0, position) + 1
    return f"{line}:{position - text.rfind(chr(10), 0, position)}"


def _skip_space(text: str, position: int) -> int:
    match = _SPACE.match(text, position)
    return match.end() if match else position


def _no_constant(name: str) -> None:
    return None


def _finite_float(text: str) -> float | None:
    number = float(text)
    return number if math.isfinite(number) else None


def _clean_surrogates(value: Any) -> Any:
    """`value` with every stray surrogate replaced, walked without recursion (depth is bounded)."""
    root = [value]
    stack: list[tuple[list[Any] | dict[Any, Any], Any]] = [(root, 0)]
    while stack:
        holder, key = stack.pop()
        item = holder[key]
        if isinstance(item, str):
            holder[key] = _STRAY_SURROGATE.sub("\ufffd", item)
        elif isinstance(item, list):
            stack.extend((item, index) for index in range(len(item)))
        elif isinstance(item, dict):
            cleaned = {_STRAY_SURROGATE.sub("\ufffd", name): entry for name, entry in item.items()}
            item.clear()
            item.update(cleaned)
            stack.extend((item, name) for name in item)
    return root[0]
