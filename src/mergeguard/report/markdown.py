"""The PR comment and the job summary: a scan result as bounded Markdown in which no tool text is live."""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from mergeguard.core.errors import UsageError
from mergeguard.report import fitting
from mergeguard.report.markdown_context import SECTIONS, Section, base, cut, full, lists
from mergeguard.report.markdown_text import LinkContext, escape
from mergeguard.report.markdown_views import FindingView, Views

if TYPE_CHECKING:
    from mergeguard.scan.pipeline import ScanResult

__all__ = [
    "COMMENT_LIMIT",
    "MARKER",
    "SUMMARY_LIMIT",
    "FindingView",
    "LinkContext",
    "Section",
    "escape",
    "render_comment",
    "render_summary",
]

MARKER = "<!-- mergeguard -->"  # starts every comment, so the comment can be found and edited in place
COMMENT_LIMIT = 65_536  # characters GitHub takes in a comment body (kept to as UTF-8 bytes, never fewer)
SUMMARY_LIMIT = 1_048_576  # bytes: GitHub's limit for one step's job summary


@dataclass(frozen=True, slots=True)
class _Profile:
    template: str
    limit: int  # in UTF-8 bytes
    text_limit: int  # characters of one message
    fix_rows: int  # packages in the fix plan's table at most


_COMMENT = _Profile("comment.md.j2", COMMENT_LIMIT - len(MARKER) - 1, 240, 15)
_SUMMARY = _Profile("summary.md.j2", SUMMARY_LIMIT, 1000, 200)
_OPTIONS: dict[str, Any] = {
    "loader": jinja2.PackageLoader("mergeguard", "templates"),
    "autoescape": False,  # Markdown, not HTML: the context is escaped with `escape` instead
    "undefined": jinja2.StrictUndefined,
    "trim_blocks": True,
    "lstrip_blocks": True,
    "keep_trailing_newline": True,
}
_ENV = ImmutableSandboxedEnvironment(**_OPTIONS)  # a user's template, and all it includes: sandboxed
_ENV.filters["md"] = escape
# The built-in templates are mergeguard's own code: rendered without the sandbox's check of every
# attribute access (a third of the time with 100,000 findings), to the same text.
_BUILTIN = jinja2.Environment(**_OPTIONS)  # noqa: S701 - Markdown, escaped by the `md` filter
_BUILTIN.filters["md"] = escape


def render_comment(
    result: ScanResult, *, links: LinkContext | None = None, template: str | None = None
) -> str:
    """The PR comment: MARKER, then the verdict and what decides it, at most COMMENT_LIMIT characters."""
    return f"{MARKER}\n{_render(result, links, _COMMENT, template)}"


def render_summary(result: ScanResult, *, links: LinkContext | None = None) -> str:
    """The job summary: the comment's content with a scanner table, at most SUMMARY_LIMIT bytes."""
    return _render(result, links, _SUMMARY, None)


def _render(result: ScanResult, links: LinkContext | None, profile: _Profile, source: str | None) -> str:
    template = _compile(source) if source is not None else _BUILTIN.get_template(profile.template)
    items, context = lists(result), base(result)
    show = Views(result, links, profile.text_limit)  # only the items shown are made into views

    def render(caps: Mapping[str, int]) -> str:
        if source is None:
            return template.render({**context, **cut(items, caps, show)})
        try:
            return template.render({**context, **cut(items, caps, show)})
        except Exception as exc:  # a user's template can fail in any way Python can
            raise _template_error(exc) from None

    everything = full(items)
    caps = {**everything, "fixes": min(everything["fixes"], profile.fix_rows)}
    return fitting.fit(render, caps, profile.limit, SECTIONS)


def _compile(source: str) -> jinja2.Template:
    try:
        return _ENV.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise _template_error(exc) from None


def _template_error(exc: Exception) -> UsageError:
    lines = [
        n for frame, n in traceback.walk_tb(exc.__traceback__) if frame.f_code.co_filename == "<template>"
    ]
    line = getattr(exc, "lineno", None) or (lines[-1] if lines else None)
    where = f" line {line}" if line else ""
    return UsageError(f"comment template{where}: {' '.join(str(exc).split()) or type(exc).__name__}")
