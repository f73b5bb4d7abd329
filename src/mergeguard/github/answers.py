"""Shape checks on the GitHub API, its URL and its answers: a wrong one is one line, never a traceback."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from github.GithubException import BadAttributeException

from mergeguard.core.jsonfields import Fail, need, need_list, or_default


class BadApiUrl(ValueError):
    """A `GITHUB_API_URL` that is not an http(s) URL with a host."""


class BadAnswer(Exception):
    """An answer from the API that is not what GitHub documents (wrong JSON type, missing field)."""


class Redirected(BadAnswer):
    """A redirect (3xx) where the API documents none: not followed, with the token or without."""

    def __init__(self, status: int) -> None:
        super().__init__(f"it answered HTTP {status}, a redirect; not followed")


# What PyGithub raises on answers it cannot use: malformed JSON (ValueError), a redirect off the API's host
# (RuntimeError, raised before anything is sent there), a field of the wrong type, a `Link` to another host
# (AssertionError) or an object where it iterates a list (TypeError, KeyError, AttributeError).
LIBRARY_FAULTS: tuple[type[Exception], ...] = (
    BadAnswer,
    BadAttributeException,
    ValueError,
    RuntimeError,
    TypeError,
    KeyError,
    AttributeError,
    AssertionError,
)


def unusable(exc: Exception) -> str:
    """Why an answer could not be used, in words that never quote the answer (it may echo a header)."""
    if isinstance(exc, BadAnswer):
        return str(exc)
    if isinstance(exc, RecursionError):
        return "its JSON is nested too deeply"
    if isinstance(exc, ValueError):
        return "it is not valid JSON"
    if isinstance(exc, RuntimeError):
        return "it redirects elsewhere (not followed with the token)"
    return f"it does not have the documented shape ({type(exc).__name__})"


def obj(data: Any, what: str) -> dict[str, Any]:
    """`data` if it is a JSON object."""
    return need(data, dict, _not(what, "a JSON object"))


def objects(data: Any, what: str) -> list[dict[str, Any]]:
    """`data` if it is a JSON list of objects."""
    need(data, list, _not(what, "a JSON list"))
    return need_list(data, dict, lambda _: BadAnswer(f"{what} holds something other than JSON objects"))


def text(data: dict[str, Any], key: str, what: str) -> str:
    """The string `data[key]`."""
    return need(data.get(key), str, _not(f"{what}: `{key}`", "a string"))


def number(data: dict[str, Any], key: str, what: str) -> int:
    """The integer `data[key]` (a JSON true is not one)."""
    return need(data.get(key), int, _not(f"{what}: `{key}`", "a number"))


def optional_text(data: dict[str, Any], key: str) -> str:
    """`data[key]` if it is a string, else ""."""
    return or_default(data.get(key), str, "")


def _not(what: str, expected: str) -> Fail:
    return lambda value: BadAnswer(f"{what} is {_kind(value)}, not {expected}")


def _kind(value: Any) -> str:
    if value is None:
        return "missing or null"
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number"}
    return names.get(type(value), "a number" if isinstance(value, float) else type(value).__name__)


def checked_api_url(api_url: str) -> str:
    """`GITHUB_API_URL` if it is an http(s) URL with a host, without a trailing slash; else `BadApiUrl`."""
    shown = repr(api_url[:200])
    try:
        parts = urlsplit(api_url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        parts, port_ok = None, False
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or not port_ok
        or re.search(r"[\s\x00-\x1f\x7f]", api_url)
    ):
        raise BadApiUrl(f"GITHUB_API_URL {shown} is not an http(s) URL with a host")
    return api_url.rstrip("/")
