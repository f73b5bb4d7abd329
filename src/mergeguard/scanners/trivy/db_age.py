"""The age of Trivy's cached vulnerability database, shown with the outcomes of the scans that used it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from mergeguard.core.errors import ScannerError
from mergeguard.core.outcome import ScanOutcome, Status
from mergeguard.scanners.base import Command
from mergeguard.scanners.commands import find_executable, run_command
from mergeguard.scanners.trivy import database as trivy_db
from mergeguard.vulns.database import VulnDb

# The scanners that read the database: their successful outcomes carry its age as their reason.
USERS = frozenset({"trivy-image", "trivy-deps"})
_TIMEOUT_S = 60.0


def database_info(settings: VulnDb) -> trivy_db.DbInfo | None:
    """The cached database's dates from `trivy version --format json --cache-dir DIR` (None: none)."""
    exe = find_executable("trivy")
    if exe is None:
        return None
    argv = (exe, "version", "--format", "json", "--cache-dir", str(trivy_db.cache(settings)))
    try:
        output = run_command(Command(argv), Path.cwd(), _TIMEOUT_S)
    except ScannerError:
        return None  # the scans themselves fail, and say why
    return trivy_db.parse_version(output.report)


def with_database_age(
    outcomes: Sequence[ScanOutcome], settings: VulnDb, now: dt.datetime | None = None
) -> list[ScanOutcome]:
    """The outcomes, those of successful database scans with the database's age as their reason."""
    if not any(o.scanner in USERS and o.status is Status.OK for o in outcomes):
        return list(outcomes)
    info = database_info(settings)
    if info is None:
        return list(outcomes)
    note = info.note(now or dt.datetime.now(dt.UTC))
    return [replace(o, reason=note) if o.scanner in USERS and o.status is Status.OK else o for o in outcomes]
