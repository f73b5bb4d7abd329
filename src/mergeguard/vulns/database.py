"""The vulnerability-database settings a scan carries: where the database is cached, whether offline."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class VulnDb:
    """Where the vulnerability database is cached, and whether downloading it is forbidden."""

    cache_dir: Path | None = None  # None: the tool's own default cache
    offline: bool = False


def of(target: object) -> VulnDb:
    """The settings a scan target carries (`Target.vuln_db`); the defaults where it carries none."""
    found = getattr(target, "vuln_db", None)
    return found if isinstance(found, VulnDb) else VulnDb()
