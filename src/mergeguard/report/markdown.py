"""The PR comment and the job summary: a scan result as bounded Markdown in which no tool text is live."""

from __future__ import annotations

import re
import traceback
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from mergeguard import fixplan
from mergeguard.ecosystems import Ordering
from mergeguard.errors import UsageError
from mergeguard.model import Severity
from mergeguard.policy import Assessed, FindingStatus
from mergeguard.report import fitting
from mergeguard.report.json_report import plan
from mergeguard.report.text import shown
from mergeguard.scanners.base import ScanOutcome, Status

if TYPE_CHECKING:
    from mergeguard.baseline import BaselineEntry
    from mergeguard.pipeline import ScanResult
    from mergeguard.policydiff import PolicyChange

MARKER = "<!-- mergeguard -->"  # starts every comment, so the comment can be found and edited in place
COMMENT_LIMIT = 65_536  # characters GitHub takes in a comment body (kept to as UTF-8 bytes, never fewer)
SUMMARY_LIMIT = 1_048_576  # bytes: GitHub's limit for one step's job summary

_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_SPECIAL = re.compile(r"://|(?i:www)\.|[\\`*_\[\]()<>#!~|$&\"'@]")
_LEADING = re.compile(r"^(?:[-+=]|(\d{1,9})\.(?= |$))")
_ZWSP = "&#8203;"  # splits what GitHub would turn into a mention, an issue reference or an autolink
_SERVER = re.compile(r"https?://[A-Za-z0-9.-]+(?::\d+)?(?:/[A-Za-z0-9._~-]+)*")
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_SHA = re.compile(r"[0-9a-fA-F]{7,64}")
_HELP_URI = re.compile(r"https://[A-Za-z0-9.-]+(?:[/?#][A-Za-z0-9._~/%:+,=?#-]*)?")
_SECTIONS = ("blocking", "fixes", "expired", "stale", "accepted", "details")  # most important first
_LEVELS = sorted(Severity, reverse=True)
_STATUSES = tuple(FindingStatus)


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


@dataclass(frozen=True, slots=True)
class FindingView:
    """One finding as a template sees it: every text from a tool or a baseline already escaped."""

    severity: str
    status: str
    blocking: bool
    tool: str
    seen_by: tuple[str, ...]  # the other tools that reported the same problem
    rule: str  # linked to the rule's help page when the tool gave a plain https URL
    title: str
    message: str  # "" when it only repeats the title
    where: str  # `path:line`, a Markdown link to the line when links are known
    url: str
    path: str
    line: int
    reason: str  # the baseline entry's, for accepted and expired findings
    accepted_by: str
    expires: str
    severity_note: str = ""  # why the severity is not the tool's (agreement.py), escaped


@dataclass(frozen=True, slots=True)
class Section:
    """A list as shown: the items that fit, and how many were left out."""

    items: tuple[Any, ...]
    more: int = 0


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
    lists, base = _lists(result), _base(result)
    show = _Views(result, links, profile.text_limit)  # only the items shown are made into views

    def render(caps: Mapping[str, int]) -> str:
        if source is None:
            return template.render({**base, **_cut(lists, caps, show)})
        try:
            return template.render({**base, **_cut(lists, caps, show)})
        except Exception as exc:  # a user's template can fail in any way Python can
            raise _template_error(exc) from None

    full = _full(lists)
    caps = {**full, "fixes": min(full["fixes"], profile.fix_rows)}
    return fitting.fit(render, caps, profile.limit, _SECTIONS)


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


def _lists(result: ScanResult) -> dict[str, Any]:
    """Every list a template shows, in full, most severe first (as findings and entries, not views)."""
    ordered = sorted(result.decision.assessed, key=_order)
    by_tool: dict[str, list[Assessed]] = {}
    for a in ordered:
        by_tool.setdefault(a.finding.tool, []).append(a)
    return {
        "blocking": tuple(a for a in ordered if a.blocking),
        "fixes": tuple(plan(result)),
        "expired": tuple(a for a in ordered if a.status is FindingStatus.EXPIRED),
        "stale": result.decision.stale,
        "accepted": tuple(a for a in ordered if a.status is FindingStatus.ACCEPTED),
        "details": tuple((escape(t), tuple(items)) for t, items in by_tool.items()),
    }


class _Views:
    """Each shown finding, fix or baseline entry as its template view, made once when first shown."""

    def __init__(self, result: ScanResult, links: LinkContext | None, limit: int) -> None:
        self.prefix = result.changes.repo.prefix if result.changes.repo else ""
        self.links, self.limit = links, limit
        self.made: dict[int, Any] = {}

    def __call__(self, item: Any) -> Any:
        view = self.made.get(id(item))
        if view is None:
            view = self.made[id(item)] = self._make(item)
        return view

    def _make(self, item: Any) -> Any:
        if isinstance(item, Assessed):
            return _view(item, self.prefix, self.links, self.limit)
        if isinstance(item, fixplan.FixEntry):
            return _fix_view(item)
        return _entry_view(item, self.limit)


def _full(lists: Mapping[str, Any]) -> dict[str, int]:
    caps = {name: len(lists[name]) for name in _SECTIONS[:-1]}
    return {**caps, "details": max((len(items) for _, items in lists["details"]), default=0)}


def _section(items: tuple[Any, ...], cap: int, show: Callable[[Any], Any]) -> Section:
    return Section(tuple(show(item) for item in items[:cap]), max(0, len(items) - cap))


def _cut(lists: Mapping[str, Any], caps: Mapping[str, int], show: Callable[[Any], Any]) -> dict[str, Any]:
    """The lists as `Section`s of at most `caps` items (per tool for details), and what is left out."""
    shown = {name: _section(lists[name], caps[name], show) for name in _SECTIONS[:-1]}
    details = [
        {"tool": tool, "total": len(items), "findings": _section(items, caps["details"], show)}
        for tool, items in lists["details"]
    ]
    seen = {id(v) for name in ("blocking", "expired", "accepted") for v in shown[name].items}
    seen.update(id(v) for d in details for v in d["findings"].items)
    total = sum(len(items) for _, items in lists["details"])
    return {**shown, "details": details, "omitted": total - len(seen)}


def _order(assessed: Assessed) -> tuple[int, str, int, str, str]:
    f = assessed.finding
    return (-f.severity, f.location.path, f.location.start_line, f.tool, f.rule_id)


def _view(a: Assessed, prefix: str, links: LinkContext | None, limit: int) -> FindingView:
    f, loc, entry = a.finding, a.finding.location, a.entry
    url = links.line_url(prefix + loc.path, loc.start_line, loc.end_line, f.commit) if links else ""
    label = escape(f"{loc.path}:{loc.start_line}") + (f" in {escape(f.commit[:7])}" if f.commit else "")
    title, message = _texts(f.title, f.message, limit)
    rule = escape(f.rule_id, 100)
    return FindingView(
        severity=f.severity.label,
        status=a.status.value,
        blocking=a.blocking,
        tool=escape(f.tool),
        seen_by=tuple(escape(tool) for tool in f.tools[1:]),
        rule=f"[{rule}]({f.help_uri})" if f.help_uri and _HELP_URI.fullmatch(f.help_uri) else rule,
        title=title,
        message=message,
        where=f"[{label}]({url})" if url else label,
        url=url,
        path=escape(loc.path),
        line=loc.start_line,
        reason=escape(entry.reason, limit) if entry else "",
        accepted_by=escape(entry.accepted_by, 100) if entry else "",
        expires=entry.expires.isoformat() if entry and entry.expires else "",
        severity_note=escape(f.severity_note.text, limit) if f.severity_note else "",
    )


def _texts(title: str, message: str, limit: int) -> tuple[str, str]:
    """The title, and the message unless it only repeats the title (then without the repeat)."""
    title, message = " ".join(title.split()), " ".join(message.split())
    if title and message.lower().startswith(title.lower()):
        message = message[len(title) :].lstrip(" .:;,-")
    return (escape(title, 160), escape(message, limit)) if title else (escape(message, limit), "")


def _fix_view(entry: fixplan.FixEntry) -> dict[str, Any]:
    """One package of the fix plan: `installed → target`, what it fixes and what stays open, by severity."""
    return {
        "package": escape(entry.package, 100),
        "ecosystem": escape(entry.ecosystem, 40),
        "installed": escape(entry.installed, 60),
        "target": escape(entry.target, 60) if entry.target else "",
        "generic": entry.ordering is Ordering.GENERIC,  # the versions' order is mergeguard's guess
        "fixes": fixplan.summary(entry.fixes),
        "unfixed": fixplan.summary(entry.unfixed),
        "path": escape(entry.path),
        "base_image": entry.origin is fixplan.Origin.BASE_IMAGE,
    }


def _entry_view(entry: BaselineEntry, limit: int) -> dict[str, str]:
    return {
        "tool": escape(entry.tool),
        "rule": escape(entry.rule, 100),
        "path": escape(entry.path),
        "reason": escape(entry.reason, limit),
        "accepted_by": escape(entry.accepted_by, 100),
        "expires": entry.expires.isoformat() if entry.expires else "",
    }


def _base(result: ScanResult) -> dict[str, Any]:
    """What a template shows besides the lists: verdict, scope, scanners, counts."""
    changes, decision, config = result.changes, result.decision, result.config
    commits = changes.commit_range
    found = Counter(tool for a in decision.assessed for tool in a.finding.tools)  # once, not per scanner
    scanners = [_scanner_view(o, found[o.scanner]) for o in result.outcomes]
    return {
        "verdict": decision.verdict.value,
        "reason": escape(decision.reason, 2000),
        "mode": changes.mode.value,
        "base": escape(commits.base[:7]) if commits else "",
        "head": escape(commits.head[:7]) if commits else "",
        "commits": commits.count if commits else 0,
        "files": len(changes.files),
        "excluded": len(changes.excluded),
        "out_of_scope": decision.out_of_scope,
        "fail_on": config.fail_on.label,
        "fail_on_pre_existing": config.fail_on_pre_existing,
        "fail_on_scanner_error": config.fail_on_scanner_error,
        "scanners": scanners,
        "errors": [s for s in scanners if s["status"] == Status.FAILED.value],
        "skipped": [s for s in scanners if s["status"] == Status.SKIPPED.value],
        "clean": [s for s in scanners if s["status"] == Status.OK.value and not s["findings"]],
        "merged": result.merged,
        "policy_changes": [_policy_view(c) for c in result.policy_changes],
        "policy_blocks": config.policy_changes == "block",
        "lowered": sum(a.finding.severity_note is not None for a in decision.assessed),
        "misclassified": [s for s in scanners if s["misclassified"]],
        "oversized": [s for s in scanners if s["oversized"]],
        **_counts(result),
    }


def _policy_view(change: PolicyChange) -> dict[str, Any]:
    """A policy file the change edits, and what that would do: every text escaped (the PR wrote it)."""
    return {
        "path": escape(change.path, 300),
        "status": escape(change.status),
        "effects": tuple(escape(effect, 300) for effect in change.effects),
    }


def _scanner_view(outcome: ScanOutcome, found: int) -> dict[str, Any]:
    dropped = outcome.misclassified
    return {
        "name": escape(outcome.scanner),
        "version": escape(outcome.version, 40),
        "status": outcome.status.value,
        "reason": escape(outcome.reason, 500),
        "seconds": round(outcome.duration_s, 1),
        "findings": found,
        "misclassified": escape(dropped.describe()) if dropped else "",
        "misclassified_paths": escape(", ".join(dropped.paths), 500) if dropped else "",
        "oversized": escape(outcome.oversized.describe(), 500) if outcome.oversized else "",
    }


def _counts(result: ScanResult) -> dict[str, Any]:
    """Findings by tool and severity, split by status: `counts` rows and their `totals`."""
    assessed = result.decision.assessed
    counter = Counter((a.finding.tool, a.finding.severity, a.status) for a in assessed)
    keys = {status: status.name.lower() for status in _STATUSES}
    rows = []
    for tool in dict.fromkeys([*(o.scanner for o in result.outcomes), *(a.finding.tool for a in assessed)]):
        for level in _LEVELS:
            cells = {key: counter[(tool, level, status)] for status, key in keys.items()}
            if any(cells.values()):
                blocks = level >= result.config.fail_on
                rows.append({"tool": escape(tool), "severity": level.label, "blocks": blocks, **cells})
    totals = {key: sum(counter[k] for k in counter if k[2] is status) for status, key in keys.items()}
    return {"counts": rows, "totals": totals, "total": len(assessed)}
