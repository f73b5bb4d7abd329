"""Trivy's vulnerability database: where Trivy caches it, its offline switches, failing closed without it."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

from mergeguard.core.errors import ScannerError
from mergeguard.vulns.database import VulnDb

# Where Trivy keeps its database when no cache directory is given (its own default, for a laptop).
DEFAULT_CACHE = Path.home() / ".cache" / "trivy"
# Trivy's layout inside a cache directory: `db/trivy.db` and the `db/metadata.json` it is dated by.
_DB_FILES = (Path("db") / "trivy.db", Path("db") / "metadata.json")
_FATAL = re.compile(r"\bFATAL\b\s+(.*)")
_DOWNLOAD_FAILED = ("failed to download vulnerability db", "cannot be specified on the first run")


@dataclass(frozen=True, slots=True)
class DbInfo:
    """The cached database's dates, as `trivy version --format json` reports them."""

    updated_at: dt.datetime
    next_update: dt.datetime | None = None

    def age_days(self, now: dt.datetime) -> int:
        return max(0, (now - self.updated_at).days)

    def note(self, now: dt.datetime) -> str:
        """One line for the report: when the database was built and how old it is."""
        age = self.age_days(now)
        when = self.updated_at.strftime("%Y-%m-%d %H:%M UTC")
        return f"vulnerability database of {when} ({age} day{'s' if age != 1 else ''} old)"


def cache(settings: VulnDb) -> Path:
    """The cache directory Trivy is given: the one set, else Trivy's default (~/.cache/trivy)."""
    return settings.cache_dir if settings.cache_dir is not None else DEFAULT_CACHE


def trivy_args(settings: VulnDb) -> tuple[str, ...]:
    """Trivy switches for a scan that needs the database: its cache, and no download when offline.

    The scan cache stays in memory, so the cache directory (saved by actions/cache) holds only the
    databases, never layer analyses of every image ever scanned.
    """
    args = ("--cache-dir", str(cache(settings)), "--cache-backend", "memory")
    return (*args, "--skip-db-update", "--skip-java-db-update") if settings.offline else args


def require(settings: VulnDb) -> None:
    """ScannerError when offline and the database is not in the cache (Trivy would refuse anyway)."""
    if settings.offline and not present(cache(settings)):
        raise ScannerError(missing_line(settings))


def present(directory: Path) -> bool:
    return all((directory / name).is_file() for name in _DB_FILES)


def missing_line(settings: VulnDb) -> str:
    return (
        f"Trivy's vulnerability database is not in {cache(settings)} and --offline forbids downloading "
        "it; restore it with actions/cache or drop --offline"
    )


def failure(stderr: str, exit_code: int, settings: VulnDb) -> str:
    """One clear line for a Trivy run that ended in error: the database's fault named as such."""
    fatal = next((m.group(1).strip() for m in _FATAL.finditer(stderr)), "")
    cause = _last_cause(stderr) or fatal or f"exited with status {exit_code}"
    if any(marker in stderr.lower() for marker in _DOWNLOAD_FAILED):
        if settings.offline:
            return missing_line(settings)
        return (
            f"Trivy's vulnerability database is not in {cache(settings)} and could not be downloaded "
            f"({cause}); restore it with actions/cache, or allow Trivy to reach its database registry"
        )
    return cause if len(cause) <= 300 else cause[:300] + "..."


def parse_version(text: str) -> DbInfo | None:
    """The database dates in `trivy version --format json` output; None when no database is cached."""
    try:
        report = json.loads(text)
    except ValueError:
        return None
    db = report.get("VulnerabilityDB") if isinstance(report, dict) else None
    if not isinstance(db, dict):
        return None
    updated = _timestamp(db.get("UpdatedAt"))
    return DbInfo(updated, _timestamp(db.get("NextUpdate"))) if updated else None


def _timestamp(value: object) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        stamp = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def _last_cause(stderr: str) -> str:
    """Trivy nests its errors; the innermost ("* Get …: no such host") is the useful one."""
    lines = [line.strip() for line in stderr.splitlines()]
    causes = [line.lstrip("*").strip() for line in lines if line.startswith("*")]
    return causes[-1] if causes else ""
