"""GitHub code scanning's limits: which results each run keeps, most severe first, and what is left out."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from mergeguard.core.outcome import ScanOutcome
from mergeguard.core.policy import Assessed

# GitHub code scanning's upload limits; "10 MB" is read as 10**7 bytes, the stricter reading.
MAX_RESULTS, MAX_GZIP_BYTES = 25_000, 10_000_000

Planned = tuple[str, ScanOutcome | None, list[Assessed]]  # tool, its outcome, findings most severe first


def priority(assessed: Assessed) -> tuple[Any, ...]:
    """Most severe first, blocking before not, then by place: the order in which results are kept."""
    return (-assessed.finding.severity, not assessed.blocking, *place(assessed))


def place(assessed: Assessed) -> tuple[Any, ...]:
    """Where a result is, then what: the order of a run's results."""
    f = assessed.finding
    return (f.location.path, f.location.start_line, f.location.column or 0, f.rule_id, f.fingerprint)


def keep(planned: Sequence[Planned], cap: int, budget: int | None) -> dict[str, int]:
    """How many results each run keeps: at most `cap`, and only the `budget` most severe of all runs."""
    capped = {tool: min(cap, len(found)) for tool, _, found in planned}
    if budget is None:
        return capped
    kept = sorted((a for tool, _, found in planned for a in found[: capped[tool]]), key=priority)[:budget]
    counts = Counter(a.finding.tool for a in kept)
    return {tool: counts[tool] for tool in capped}


def dropped(left_out: Sequence[Assessed]) -> dict[str, Any]:
    """The results a run left out, counted by severity (its `dropped` property)."""
    counts = Counter(a.finding.severity for a in left_out)
    severities = {s.label: counts[s] for s in sorted(counts, reverse=True)}
    return {"results": len(left_out), "severities": severities}
