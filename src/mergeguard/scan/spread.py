"""Per-file scanners split over the cores for long file lists, and their chunks' outcomes put back together.

detect-secrets and Bandit look at one file at a time in one Python process each, so a long list keeps
one core busy while the others idle once the quick scanners are done. Their file lists are cut into
chunks run as separate processes; the chunks' findings are concatenated in file order, and a chunk
that failed fails the scanner (its reason names the chunk).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from mergeguard.core.outcome import ScanOutcome, Status
from mergeguard.scan.registry import TOOLS

if TYPE_CHECKING:
    from mergeguard.scanners.base import Job

# One file at a time: chunks give the same result (each tool declares whether it is so).
SPLITTABLE = frozenset(name for name, tool in TOOLS.items() if tool.per_file)
MIN_CHUNK_FILES = 40  # fewer files per chunk and a chunk's start-up costs more than it saves


@dataclass(frozen=True, slots=True)
class Unit:
    """One process to run: job number `index` of the list, its chunk `part` of `parts`."""

    index: int
    job: Job
    part: int = 1
    parts: int = 1


def units(jobs: Sequence[Job], cores: int) -> list[Unit]:
    """Every job as one unit, or a splittable one with a long file list as up to `cores` chunks."""
    out: list[Unit] = []
    for index, job in enumerate(jobs):
        files = job.target.files if job.target is not None else ()
        parts = min(cores, len(files) // MIN_CHUNK_FILES) if job.scanner.name in SPLITTABLE else 1
        if parts <= 1 or job.target is None:
            out.append(Unit(index, job))
            continue
        size = -(-len(files) // parts)
        for part in range(parts):
            chunk = files[part * size : (part + 1) * size]  # contiguous: the findings keep file order
            out.append(Unit(index, replace(job, target=replace(job.target, files=chunk)), part + 1, parts))
    return out


def merge(chunks: Sequence[tuple[Unit, ScanOutcome]]) -> ScanOutcome:
    """One outcome from a job's chunks: failed if any chunk failed, else every chunk's findings."""
    outcomes = [outcome for _, outcome in chunks]
    if len(outcomes) == 1:
        return outcomes[0]
    first = outcomes[0]
    duration = sum(o.duration_s for o in outcomes)  # the work done, not the wall time
    version = next((o.version for o in outcomes if o.version), "")
    for unit, outcome in chunks:
        if outcome.status is not Status.OK:
            reason = f"chunk {unit.part}/{unit.parts}: {outcome.reason}"
            return replace(outcome, reason=reason, findings=(), version=version, duration_s=duration)
    findings = tuple(f for o in outcomes for f in o.findings)
    return replace(first, findings=findings, version=version, duration_s=duration)
