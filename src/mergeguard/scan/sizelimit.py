"""Files too big for a scanner: left out of its run and listed in its outcome, never dropped silently."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from mergeguard.core.changes import ChangeSet
from mergeguard.core.outcome import Oversized, ScanOutcome, Status
from mergeguard.scanners.base import Scanner


def limit_of(scanner: Scanner) -> int | None:
    """The scanner's per-file limit in bytes (its `max_file_bytes`), None when it has none."""
    limit = getattr(scanner, "max_file_bytes", None)
    return limit if isinstance(limit, int) else None


def split(scanner: Scanner, root: Path, files: Sequence[str]) -> tuple[tuple[str, ...], Oversized | None]:
    """`files` within the scanner's limit, and those over it (None when there are none)."""
    limit = limit_of(scanner)
    if limit is None:
        return tuple(files), None
    over = tuple(f for f in files if _size(root / f) > limit)
    if not over:
        return tuple(files), None
    skipped = frozenset(over)
    return tuple(f for f in files if f not in skipped), Oversized(limit, over)


def noted(outcome: ScanOutcome, scanner: Scanner, changes: ChangeSet) -> ScanOutcome:
    """`outcome` listing the files `split` left out of the scanner's run (the reports show them).

    A skipped scanner is left as it is: when every file was too big, its reason already lists them.
    """
    if outcome.status is Status.SKIPPED:
        return outcome
    _, oversized = split(scanner, changes.root, changes.paths(scanner.applies_to))
    return outcome if oversized is None else replace(outcome, oversized=oversized)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # gone or unreadable: the scanner says so itself
