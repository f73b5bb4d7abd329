"""The JSON report (`--json FILE`): a versioned, documented contract."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mergeguard.core import gcpause
from mergeguard.core.model import Finding
from mergeguard.core.outcome import Misclassified, Oversized, ScanOutcome
from mergeguard.core.policy import FindingStatus
from mergeguard.core.text import shown_tree
from mergeguard.report.jsontext import encode_shown
from mergeguard.vulns import fixplan

if TYPE_CHECKING:
    from mergeguard.core.baseline import BaselineEntry
    from mergeguard.core.blocks import Block
    from mergeguard.core.policy import Assessed, Decision
    from mergeguard.scan.pipeline import ScanResult


def finding_dict(finding: Finding) -> dict[str, Any]:
    """One finding as the JSON report writes it."""
    loc = finding.location
    row: dict[str, Any] = {
        "tool": finding.tool,
        "rule_id": finding.rule_id,
        "severity": finding.severity.label,
        "title": finding.title,
        "message": finding.message,
        "path": loc.path,
        "start_line": loc.start_line,
        "end_line": loc.end_line,
        "column": loc.column,
        "kind": finding.kind.value,
        "fingerprint": finding.fingerprint,
        "cve_ids": list(finding.cve_ids),
        "cwe_ids": list(finding.cwe_ids),
        "help_uri": finding.help_uri,
        "commit": finding.commit,
        "tools": list(finding.tools),
        "also": [{"tool": s.tool, "rule_id": s.rule_id} for s in finding.also],
    }
    if finding.package is not None:
        pkg = finding.package
        row["package"] = {
            "name": pkg.name,
            "installed": pkg.installed,
            "fixed": pkg.fixed,
            "ecosystem": pkg.ecosystem,
        }
    if (note := finding.severity_note) is not None:  # only when `agreement` lowered the severity
        row["severity_note"] = {"original": note.original.label, "reason": note.reason, "text": note.text}
    return row


def build(result: ScanResult) -> dict[str, Any]:
    """The whole JSON report (contract version 1); a non-UTF-8 file name shows as `\\xNN`."""
    return shown_tree(_build(result))


def dumps(result: ScanResult, sections: Mapping[str, object]) -> str:
    """The text of `build(result)` with `sections` added at the top level, as `--json` writes it."""
    return encode(result, sections).decode("ascii")


def encode(result: ScanResult, sections: Mapping[str, object]) -> bytes:
    """`dumps` as the bytes of the file (ASCII). The document, a dict per finding, is garbage once
    written out: it is left to the process's end to free (`gcpause.leave_to_exit`)."""
    document = {**_build(result), **sections}
    gcpause.leave_to_exit(document)
    return encode_shown(document, indent=True, newline=True)[1]


def _build(result: ScanResult) -> dict[str, Any]:
    changes, decision = result.changes, result.decision
    commits = changes.commit_range
    return {
        "version": 1,
        "verdict": decision.verdict.value,
        "reason": decision.reason,
        "mode": changes.mode.value,
        "base": commits.base if commits else None,
        "head": commits.head if commits else None,
        "fail_on": result.config.fail_on.label,
        "files_scanned": len(changes.files),
        "files_excluded": len(changes.excluded),
        "submodules_not_scanned": list(changes.submodules),
        "findings_out_of_scope": decision.out_of_scope,
        "findings_misclassified": sum(o.misclassified.count for o in result.outcomes if o.misclassified),
        "duplicates_merged": result.merged,
        "verdict_rules": [rule.value for rule in decision.rules],
        "findings": _finding_rows(decision.assessed),
        "stale_baseline_entries": [_entry_dict(e) for e in decision.stale],
        "scanners": [_scanner_dict(o) for o in result.outcomes],
        "fixes": [fix_dict(e) for e in plan(result)],
        "policy_changes": [
            {"path": c.path, "status": c.status, "effects": list(c.effects)} for c in result.policy_changes
        ],
        "policy_changes_block": result.config.policy_changes == "block",
    }


def _finding_rows(assessed: Sequence[Assessed]) -> list[dict[str, Any]]:
    """Each finding with its status, whether it blocks and why, and its acceptance; the dict of a block
    (shared by every finding blocked the same way) made once."""
    blocks: dict[Block | None, dict[str, Any] | None] = {}
    rows = []
    for a in assessed:
        row = finding_dict(a.finding)
        row["status"] = a.status.value
        row["blocking"] = a.blocking
        block = a.block
        row["blocked_by"] = blocks[block] if block in blocks else blocks.setdefault(block, block_dict(block))
        if a.entry is not None:
            row.update(_acceptance(a))
        rows.append(row)
    return rows


def plan(result: ScanResult) -> tuple[fixplan.FixEntry, ...]:
    """The fix plan of the findings still open: accepted ones are left to their baseline entry."""
    decision = result.decision
    if _LAST_PLAN and _LAST_PLAN[0][0] is decision:  # the JSON report and the summary both ask
        return _LAST_PLAN[0][1]
    built = fixplan.build(a.finding for a in decision.assessed if a.status is not FindingStatus.ACCEPTED)
    _LAST_PLAN[:] = [(decision, built)]
    return built


# The last decision's plan (a Decision is frozen, so it is the same plan): 35,000 packages take seconds.
_LAST_PLAN: list[tuple[Decision, tuple[fixplan.FixEntry, ...]]] = []


def fix_dict(entry: fixplan.FixEntry) -> dict[str, Any]:
    """One package's fix plan as the JSON report writes it."""
    return {
        "ecosystem": entry.ecosystem,
        "package": entry.package,
        "installed": entry.installed,
        "target": entry.target,
        "fixes": [a.id for a in entry.fixes],
        "unfixed": [a.id for a in entry.unfixed],
        "path": entry.path,
        "origin": entry.origin.value,
        "ordering": entry.ordering.value,
    }


def block_dict(block: Block | None) -> dict[str, Any] | None:
    """The rule that makes a finding block (None: it does not), with the threshold it met and why."""
    if block is None:
        return None
    return {
        "rule": block.rule.value,
        "setting": block.setting,
        "threshold": block.threshold.label,
        "reason": block.describe(),
    }


def _entry_dict(entry: BaselineEntry) -> dict[str, Any]:
    return {"fingerprint": entry.fingerprint, "tool": entry.tool, "rule_id": entry.rule, "path": entry.path}


def _acceptance(assessed: Assessed) -> dict[str, Any]:
    entry = assessed.entry
    if entry is None:
        return {}
    expires = entry.expires.isoformat() if entry.expires else None
    return {"accepted": {"reason": entry.reason, "accepted_by": entry.accepted_by, "expires": expires}}


def _scanner_dict(outcome: ScanOutcome) -> dict[str, Any]:
    return {
        "name": outcome.scanner,
        "version": outcome.version,
        "status": outcome.status.value,
        "reason": outcome.reason,
        "duration_s": round(outcome.duration_s, 3),
        "findings": len(outcome.findings),
        "misclassified": _misclassified_dict(outcome.misclassified),
        "oversized": _oversized_dict(outcome.oversized),
    }


def _oversized_dict(oversized: Oversized | None) -> dict[str, Any] | None:
    """Files over the scanner's size limit: not given to it, listed with the limit."""
    if oversized is None:
        return None
    return {
        "limit_bytes": oversized.limit_bytes,
        "paths": list(oversized.paths),
        "reason": oversized.describe(),
    }


def _misclassified_dict(dropped: Misclassified | None) -> dict[str, Any] | None:
    """Findings on files not of the kind their check is about: dropped, with why and where."""
    if dropped is None:
        return None
    return {
        "count": dropped.count,
        "kinds": list(dropped.kinds),
        "paths": list(dropped.paths),
        "reason": dropped.describe(),
    }
