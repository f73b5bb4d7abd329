"""Inert Markdown: tool text escaped so nothing in it is live, and links to a repository's lines."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from mergeguard.core.errors import UsageError
from mergeguard.core.text import shown

_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_SPECIAL = re.compile(r"://|(?i:www)\.|[\\`*_\[\]()<>#!~|$&\"'@]")
_LEADING = re.compile(r"^(?:[-+=]|(\d{1,9})\.(?= |$))")
_ZWSP = "&#8203;"  # splits what GitHub would turn into a mention, an issue reference or an autolink
_SERVER = re.compile(r"https?://[A-Za-z0-9.-]+(?::\d+)?(?:/[A-Za-z0-9._~-]+)*")
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_SHA = re.compile(r"[0-9a-fA-F]{7,64}")


def escape(text: str, limit: int = 0) -> str:
    """`text` as inert Markdown and HTML on one line, cut to `limit` characters first if given.

    Control, line-break and bidi characters become spaces; every character Markdown or HTML gives a
    meaning becomes a numeric entity (so it is inert in table cells, HTML blocks and attributes
    alike); `@name`, `#123`, `://` and `www.` get a zero-width space so GitHub neither mentions,
    cross-references nor autolinks; a leading `-`, `+`, `=` or `1.` cannot start a block.
    """
    flat = " ".join(_INVISIBLE.sub(" ", shown(text)).split())
    if limit and len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return _LEADING.sub(_lead, _SPECIAL.sub(_entity, flat))


def _entity(match: re.Match[str]) -> str:
    found = match.group(0)
    if found == "://":
        return ":" + _ZWSP + "//"
    if len(found) == 4:  # www.
        return found[:3] + _ZWSP + "."
    return f"&#{ord(found)};" + (_ZWSP if found in "@#" else "")


def _lead(match: re.Match[str]) -> str:
    return match.group(1) + "&#46;" if match.group(1) else f"&#{ord(match.group(0))};"


@dataclass(frozen=True, slots=True)
class LinkContext:
    """Where findings link to: `{server_url}/{repository}/blob/{head_sha}/{path}#L{line}`."""

    server_url: str  # e.g. https://github.com, or a GitHub Enterprise Server
    repository: str  # owner/name
    head_sha: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "server_url", self.server_url.rstrip("/"))
        for name, pattern in (("server_url", _SERVER), ("repository", _REPOSITORY), ("head_sha", _SHA)):
            if not pattern.fullmatch(getattr(self, name)):
                raise UsageError(f"cannot link to lines: bad {name} {getattr(self, name)!r}")

    def line_url(self, path: str, start: int, end: int, commit: str | None = None) -> str:
        """The URL of lines `start`-`end` of the repository's `path`, at `commit` or the head."""
        sha = commit if commit and _SHA.fullmatch(commit) else self.head_sha
        anchor = f"L{start}" if end <= start else f"L{start}-L{end}"
        return f"{self.server_url}/{self.repository}/blob/{sha}/{quote(path, safe='/')}#{anchor}"
