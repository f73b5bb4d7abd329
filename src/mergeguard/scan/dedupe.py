"""Merges the reports of one problem from several tools into one finding that names them all."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from mergeguard.core.model import Finding, Sighting
from mergeguard.scan.equivalence import group_key
from mergeguard.scan.resources import Resources


def merge(findings: Sequence[Finding], resources: Resources | None = None) -> tuple[list[Finding], int]:
    """One finding per problem, in first-seen order, and how many reports were folded into others.

    The finding kept is the most severe report, then the one pointing at the fewest lines (the USER
    line rather than the whole Dockerfile); it carries the highest severity of the group and a
    `Sighting` of every other report.
    """
    groups: dict[object, list[Finding]] = {}
    seen: dict[tuple[object, str], int] = {}
    for index, finding in enumerate(findings):
        key = group_key(finding, resources)
        if key is not None and key[0] == "resource":
            # One resource, several containers: Trivy reports each, Checkov the resource once. The
            # tools' reports pair up in order, so a second container's problem stays its own.
            nth = seen[key, finding.tool] = seen.get((key, finding.tool), -1) + 1
            key = (*key, nth)
        groups.setdefault(key if key is not None else ("alone", index), []).append(finding)
    merged = [_fold(group) for group in groups.values()]
    return merged, len(findings) - len(merged)


def _fold(group: list[Finding]) -> Finding:
    if len(group) == 1:
        return group[0]
    primary = min(group, key=_rank)
    others = [f for f in group if f is not primary]
    sightings = (Sighting(f.tool, f.rule_id, f.message) for f in others)
    also = tuple(dict.fromkeys((*primary.also, *sightings, *(s for f in others for s in f.also))))
    cwes = tuple(dict.fromkeys(c for f in group for c in (*f.cwe_ids,)))
    cves = tuple(dict.fromkeys(c for f in group for c in (*f.cve_ids,)))
    # A commit of the range that added it (Gitleaks reads the history) stays with the problem, so a
    # secret the change committed is new whichever report leads.
    commit = primary.commit or next((f.commit for f in others if f.commit), None)
    return replace(primary, also=also, cwe_ids=cwes, cve_ids=cves, commit=commit)


def _rank(finding: Finding) -> tuple[int, int]:
    loc = finding.location
    return (-finding.severity, loc.end_line - loc.start_line)
