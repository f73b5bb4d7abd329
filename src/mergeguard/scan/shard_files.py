"""Per-file scanners' long file lists split over shards in contiguous, size-balanced parts, and put back.

A per-file scanner (`Tool.per_file`: detect-secrets, Bandit) given at least twice `MIN_FILES` files
runs in `min(N, files // MIN_FILES)` shards, each on one contiguous part of its sorted file list,
cut where the parts hold about the same bytes. The parts are numbered in the order of the shards
that host them, so `merge` puts them back by concatenating in part order: the same findings, in
the same order, as one run over every file (the promise `per_file` makes; `scan.spread` relies on
it too). Everything here is computed from the checkout alone, so every shard finds the same plan.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from mergeguard.core.outcome import Misclassified, ScanOutcome, Status
from mergeguard.scan.registry import TOOLS
from mergeguard.scan.spread import MIN_CHUNK_FILES

MIN_FILES = MIN_CHUNK_FILES  # fewer files per shard and its start-up costs more than the split saves
FILE_COST = 512  # bytes a file "weighs" on top of its size: an empty file still costs an open and a parse


@dataclass(frozen=True, slots=True)
class Part:
    """Part `index` (1-based) of `count` of one scanner's file list, as run by one shard."""

    scanner: str
    index: int
    count: int


def part_count(name: str, files: Sequence[str], shards: int) -> int:
    """How many shards share the scanner's files: 1 unless it is per-file and the list is long."""
    tool = TOOLS.get(name)
    if tool is None or not tool.per_file:
        return 1
    return max(1, min(shards, len(files) // MIN_FILES))


def cut(root: Path, files: Sequence[str], count: int) -> list[tuple[str, ...]]:
    """`files` in `count` contiguous non-empty parts of about the same bytes (sizes read under `root`)."""
    weights = [_size(root / f) + FILE_COST for f in files]
    total = sum(weights)
    bounds = [0]
    running, at = 0, 0
    for part in range(1, count):
        goal = total * part / count
        lowest, highest = bounds[-1] + 1, len(files) - (count - part)  # every part keeps a file
        while at < lowest or (at < highest and abs(running + weights[at] - goal) <= abs(running - goal)):
            running += weights[at]
            at += 1
        bounds.append(at)
    bounds.append(len(files))
    return [tuple(files[a:b]) for a, b in itertools.pairwise(bounds)]


def combine(scanner: str, parts: Sequence[tuple[str, ScanOutcome]]) -> ScanOutcome:
    """One outcome from a scanner's parts in part order (each with the shard that ran it).

    Failed when a part failed, or when some parts were skipped and others not (files unscanned);
    else the parts' findings concatenated, their dropped findings counted once, their time summed.
    """
    outcomes = [outcome for _, outcome in parts]
    first = outcomes[0]
    duration = sum(o.duration_s for o in outcomes)
    version = next((o.version for o in outcomes if o.version), "")
    statuses = {o.status for o in outcomes}
    if statuses == {Status.SKIPPED}:
        return replace(first, version=version, duration_s=duration)
    for where, outcome in parts:
        if outcome.status is not Status.OK:
            reason = f"{where}: {outcome.reason or outcome.status.value}"
            failed = ScanOutcome(scanner, Status.FAILED, (), reason, version, duration)
            return failed
    return replace(
        first,
        findings=tuple(f for o in outcomes for f in o.findings),
        version=version,
        duration_s=duration,
        misclassified=_dropped(outcomes),
        oversized=next((o.oversized for o in outcomes if o.oversized is not None), None),
    )


def _dropped(outcomes: Sequence[ScanOutcome]) -> Misclassified | None:
    """The parts' misclassified findings as one run would count them (sorted kinds and paths)."""
    found = [o.misclassified for o in outcomes if o.misclassified is not None]
    if not found:
        return None
    kinds = tuple(sorted({k for m in found for k in m.kinds}))
    paths = tuple(sorted({p for m in found for p in m.paths}))
    return Misclassified(sum(m.count for m in found), kinds, paths)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # gone or unreadable: the scanner says so itself
