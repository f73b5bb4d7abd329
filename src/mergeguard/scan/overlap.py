"""Work not done twice: a scanner runs lighter when another tool covers every file (`Tool.covered_by`).

Checkov's secrets framework is a fork of detect-secrets, left out when that runs.

Measured on the test corpora (benchmarks/secrets_overlap.py, README "Less duplicate work"): 98 of
Checkov's 100 secret reports were made on the same line by another secret scanner (the two others: a
`.secrets.baseline`, which detect-secrets leaves out on purpose, and a SARIF file's hash), and the
framework costs Checkov seconds on every file. Its keyword and entropy hits are no second opinion for
detect-secrets' (the agreement rule counts the fork and detect-secrets as one engine), so the framework
is left out whenever detect-secrets is selected and is given every file (none over its size limit).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from mergeguard.core.changes import ChangeSet
from mergeguard.scan import registry, sizelimit
from mergeguard.scanners.base import Scanner

# "auto" as above; benchmarks/secrets_overlap.py sets "never" and "always" to measure both sides.
SKIP_COVERED = "auto"


def without_duplicates(
    scanners: Iterable[Scanner], selected: Callable[[str], bool], changes: ChangeSet
) -> list[Scanner]:
    """`scanners`, each run lighter where its declaration says another tool covers that work."""
    return [_lighter(scanner, selected, changes) for scanner in scanners]


def _lighter(scanner: Scanner, selected: Callable[[str], bool], changes: ChangeSet) -> Scanner:
    declared = registry.TOOLS.get(scanner.name)
    if declared is None or declared.covered_by is None or declared.lighter is None:
        return scanner
    auto = SKIP_COVERED == "auto" and covered(declared.covered_by, selected, changes)
    return declared.lighter if SKIP_COVERED == "always" or auto else scanner


def covered(name: str, selected: Callable[[str], bool], changes: ChangeSet) -> bool:
    """Whether the scanner `name` is selected and will be given every file in scope."""
    if not selected(name):
        return False
    scanner = registry.REGISTRY[name]
    files, oversized = sizelimit.split(scanner, changes.root, changes.paths(scanner.applies_to))
    return bool(files) and oversized is None
