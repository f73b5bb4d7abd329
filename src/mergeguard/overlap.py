"""Work not done twice: Checkov's secrets framework is a fork of detect-secrets, left out when that runs.

Measured on the test corpora (benchmarks/secrets_overlap.py, README "Less duplicate work"): 98 of
Checkov's 100 secret reports were made on the same line by another secret scanner (the two others: a
`.secrets.baseline`, which detect-secrets leaves out on purpose, and a SARIF file's hash), and the
framework costs Checkov seconds on every file. Its keyword and entropy hits are no second opinion for
detect-secrets' (the agreement rule counts the fork and detect-secrets as one engine), so the framework
is left out whenever detect-secrets is selected and is given every file (none over its size limit).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from mergeguard import sizelimit
from mergeguard.changes import ChangeSet
from mergeguard.scanners import checkov, detect_secrets
from mergeguard.scanners.base import Scanner

# "auto" as above; benchmarks/secrets_overlap.py sets "never" and "always" to measure both sides.
CHECKOV_SECRETS_SKIP = "auto"


def without_duplicates(
    scanners: Iterable[Scanner], selected: Callable[[str], bool], changes: ChangeSet
) -> list[Scanner]:
    """`scanners`, with Checkov's secrets framework left out when it can change nothing (see above)."""
    auto = secrets_covered(selected, changes)
    covered = CHECKOV_SECRETS_SKIP == "always" or (CHECKOV_SECRETS_SKIP == "auto" and auto)
    return [checkov.CheckovWithoutSecrets() if covered and s.name == checkov.TOOL else s for s in scanners]


def secrets_covered(selected: Callable[[str], bool], changes: ChangeSet) -> bool:
    """Whether detect-secrets is selected and will be given every file in scope."""
    if not selected(detect_secrets.TOOL):
        return False
    scanner = detect_secrets.DetectSecretsScanner()
    files, oversized = sizelimit.split(scanner, changes.root, changes.paths(scanner.applies_to))
    return bool(files) and oversized is None
