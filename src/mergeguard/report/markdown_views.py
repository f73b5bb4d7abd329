"""Template views: each finding, fix, baseline entry, policy change and scanner, its text escaped."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mergeguard.core.outcome import ScanOutcome
from mergeguard.core.policy import Assessed
from mergeguard.report.markdown_text import LinkContext, escape
from mergeguard.vulns import fixplan
from mergeguard.vulns.ecosystems import Ordering

if TYPE_CHECKING:
    from mergeguard.core.baseline import BaselineEntry
    from mergeguard.scan.pipeline import ScanResult
    from mergeguard.scan.policydiff import PolicyChange

_HELP_URI = re.compile(r"https://[A-Za-z0-9.-]+(?:[/?#][A-Za-z0-9._~/%:+,=?#-]*)?")


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
    block_rule: str = ""  # the policy rule that makes it block (`fail-on`, `fail-on-kind`, …), "" if none
    block_reason: str = ""  # that rule as a sentence: "at or above high (fail-on)", escaped


class Views:
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
        block_rule=a.block.rule.value if a.block else "",
        block_reason=escape(a.block.describe()) if a.block else "",
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


def policy_view(change: PolicyChange) -> dict[str, Any]:
    """A policy file the change edits, and what that would do: every text escaped (the PR wrote it)."""
    return {
        "path": escape(change.path, 300),
        "status": escape(change.status),
        "effects": tuple(escape(effect, 300) for effect in change.effects),
    }


def scanner_view(outcome: ScanOutcome, found: int) -> dict[str, Any]:
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
