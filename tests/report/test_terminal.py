"""The terminal summary's scanner table counts as the Markdown one does."""

from __future__ import annotations

from pathlib import Path

from mergeguard.core.changes import ChangeSet, Mode
from mergeguard.core.config import Config
from mergeguard.core.model import Finding, Kind, Location, Severity, Sighting
from mergeguard.core.outcome import ScanOutcome, Status
from mergeguard.core.policy import decide
from mergeguard.report import terminal
from mergeguard.report.markdown_context import base
from mergeguard.scan.pipeline import ScanResult


def merged_result() -> ScanResult:
    """A key Gitleaks found, merged under detect-secrets; a compose problem both Checkov and Trivy
    reported, merged under trivy-config (python-discord/bot's docker-compose.yml)."""
    key = Finding(
        "detect-secrets", "Secret Keyword", Severity.HIGH, "a key", "m", Location("compose.yml", 5),
        Kind.SECRET, fingerprint="a" * 32, also=(Sighting("gitleaks", "generic-api-key"),),
    )  # fmt: skip
    root = Finding(
        "trivy-config", "DS-0002", Severity.MEDIUM, "root", "m", Location("compose.yml", 2),
        Kind.MISCONFIGURATION, fingerprint="b" * 32, also=(Sighting("checkov", "CKV_DOCKER_3"),),
    )  # fmt: skip
    outcomes = tuple(
        ScanOutcome(name, Status.OK) for name in ("detect-secrets", "gitleaks", "trivy-config", "checkov")
    )
    changes = ChangeSet(Path("/r"), Mode.ALL, ())
    return ScanResult(changes, outcomes, decide([key, root], outcomes, changes, Config()), Config(), merged=2)


def test_each_scanner_that_saw_a_merged_finding_counts_it_as_in_the_markdown_table() -> None:
    result = merged_result()
    names = {o.scanner for o in result.outcomes}
    lines = [line.split() for line in terminal.render(result).splitlines()]
    rows = {cells[0]: cells[-6:] for cells in lines if cells and cells[0] in names}  # crit ... unkn
    assert rows == {
        "detect-secrets": ["0", "1", "0", "0", "0", "0"],
        "gitleaks": ["0", "1", "0", "0", "0", "0"],  # was all zeros: "found nothing"
        "trivy-config": ["0", "0", "1", "0", "0", "0"],
        "checkov": ["0", "0", "1", "0", "0", "0"],
    }
    assert {s["name"]: s["findings"] for s in base(result)["scanners"]} == {
        name: sum(map(int, counts)) for name, counts in rows.items()
    }
