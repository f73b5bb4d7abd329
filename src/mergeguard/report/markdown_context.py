"""The comment's context: every list a template shows, cut to fit, and the verdict, scope and counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mergeguard.core.blocks import thresholds
from mergeguard.core.model import Severity
from mergeguard.core.outcome import Status, by_scanner
from mergeguard.core.policy import Assessed, FindingStatus
from mergeguard.report.json_report import plan
from mergeguard.report.markdown_text import escape
from mergeguard.report.markdown_views import policy_view, scanner_view

if TYPE_CHECKING:
    from mergeguard.scan.pipeline import ScanResult

SECTIONS = ("blocking", "fixes", "expired", "stale", "accepted", "details")  # most important first
_LEVELS = sorted(Severity, reverse=True)
_STATUSES = tuple(FindingStatus)


@dataclass(frozen=True, slots=True)
class Section:
    """A list as shown: the items that fit, and how many were left out."""

    items: tuple[Any, ...]
    more: int = 0


def lists(result: ScanResult) -> dict[str, Any]:
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


def full(every: Mapping[str, Any]) -> dict[str, int]:
    """The caps that show every list whole (for details: the longest tool's list)."""
    caps = {name: len(every[name]) for name in SECTIONS[:-1]}
    return {**caps, "details": max((len(items) for _, items in every["details"]), default=0)}


def _section(items: tuple[Any, ...], cap: int, show: Callable[[Any], Any]) -> Section:
    return Section(tuple(show(item) for item in items[:cap]), max(0, len(items) - cap))


def cut(every: Mapping[str, Any], caps: Mapping[str, int], show: Callable[[Any], Any]) -> dict[str, Any]:
    """The lists as `Section`s of at most `caps` items (per tool for details), and what is left out."""
    shown = {name: _section(every[name], caps[name], show) for name in SECTIONS[:-1]}
    details = [
        {"tool": tool, "total": len(items), "findings": _section(items, caps["details"], show)}
        for tool, items in every["details"]
    ]
    seen = {id(v) for name in ("blocking", "expired", "accepted") for v in shown[name].items}
    seen.update(id(v) for d in details for v in d["findings"].items)
    total = sum(len(items) for _, items in every["details"])
    return {**shown, "details": details, "omitted": total - len(seen)}


def _order(assessed: Assessed) -> tuple[int, str, int, str, str]:
    f = assessed.finding
    return (-f.severity, f.location.path, f.location.start_line, f.tool, f.rule_id)


def base(result: ScanResult) -> dict[str, Any]:
    """What a template shows besides the lists: verdict, scope, scanners, counts."""
    changes, decision, config = result.changes, result.decision, result.config
    commits = changes.commit_range
    found = Counter(row for row, _ in by_scanner(result.outcomes, (a.finding for a in decision.assessed)))
    scanners = [scanner_view(o, found[o.scanner]) for o in result.outcomes]
    return {
        "verdict": decision.verdict.value,
        "reason": escape(decision.reason, 2000),
        "mode": changes.mode.value,
        "base": escape(commits.base[:7]) if commits else "",
        "head": escape(commits.head[:7]) if commits else "",
        "commits": commits.count if commits else 0,
        "files": len(changes.files),
        "excluded": len(changes.excluded),
        "submodules": escape(", ".join(changes.submodules), 1000),
        "submodule_count": len(changes.submodules),
        "out_of_scope": decision.out_of_scope,
        "fail_on": config.fail_on.label,
        "thresholds": escape(thresholds(config)),  # "high (vulnerability: critical)" with fail-on-kind
        "fail_on_pre_existing": config.fail_on_pre_existing,
        "fail_on_scanner_error": config.fail_on_scanner_error,
        "scanners": scanners,
        "errors": [s for s in scanners if s["status"] == Status.FAILED.value],
        "skipped": [s for s in scanners if s["status"] == Status.SKIPPED.value],
        "clean": [s for s in scanners if s["status"] == Status.OK.value and not s["findings"]],
        "merged": result.merged,
        "policy_changes": [policy_view(c) for c in result.policy_changes],
        "policy_blocks": config.policy_changes == "block",
        "lowered": sum(a.finding.severity_note is not None for a in decision.assessed),
        "misclassified": [s for s in scanners if s["misclassified"]],
        "oversized": [s for s in scanners if s["oversized"]],
        **_counts(result),
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
