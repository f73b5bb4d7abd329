"""How a scanner's run ended: its status, findings, and the files it dropped or was not given."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from mergeguard.core.model import Finding


class Status(enum.StrEnum):
    """The three ends of a scanner run: a result, not applicable, or no trustworthy result."""

    OK = "ok"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Misclassified:
    """A scanner's findings on files mergeguard did not classify as the kinds its checks are about."""

    count: int
    kinds: tuple[str, ...]  # the file kinds those checks are about ("dockerfile", "iac", …)
    paths: tuple[str, ...]  # the files they were reported on

    def describe(self) -> str:
        """One line: "1 finding on files not of kind dockerfile dropped"."""
        noun = "finding" if self.count == 1 else "findings"
        return f"{self.count} {noun} on files not of kind {' or '.join(self.kinds)} dropped"


@dataclass(frozen=True, slots=True)
class Oversized:
    """Files in scope a scanner was not given because they are over its per-file size limit."""

    limit_bytes: int
    paths: tuple[str, ...]

    def describe(self) -> str:
        """One line: "skipped 1 file over 2 MB: data/dump.sql"."""
        noun = "file" if len(self.paths) == 1 else "files"
        size = f"{self.limit_bytes / 1024 / 1024:g} MB"
        return f"skipped {len(self.paths)} {noun} over {size}: {', '.join(self.paths)}"


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    """How one scanner's run ended, with its findings when it ended well."""

    scanner: str
    status: Status
    findings: tuple[Finding, ...] = ()
    reason: str = ""
    version: str = ""
    duration_s: float = 0.0
    misclassified: Misclassified | None = None  # findings dropped as not about the file they are on
    oversized: Oversized | None = None  # files over the scanner's size limit, not scanned (listed)


def scanner_rows(outcomes: Sequence[ScanOutcome]) -> dict[str, str]:
    """The scanner each finding's tool is counted under: its own, else the outcome that reported it
    (a SARIF import's findings carry their driver's name, `semgrep`, and count under `sarif`). A tool
    not in the map (a finding of no outcome) is its own row."""
    rows = {outcome.scanner: outcome.scanner for outcome in outcomes}
    for outcome in outcomes:
        for tool in {finding.tool for finding in outcome.findings}:
            rows.setdefault(tool, outcome.scanner)
    return rows


def by_scanner(outcomes: Sequence[ScanOutcome], findings: Iterable[Finding]) -> Iterator[tuple[str, Finding]]:
    """Each finding under every scanner row that saw it (`scanner_rows`), once per row: a problem
    merged from several tools' reports counts for each of them, as every report's scanner table
    shows it (Gitleaks' key merged under detect-secrets is not "found nothing" for Gitleaks)."""
    row_of = scanner_rows(outcomes)
    for finding in findings:
        for row in dict.fromkeys(row_of.get(tool, tool) for tool in finding.tools):
            yield row, finding
