"""detect-secrets' per-file size limit: files over it are not scanned, and every report lists them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mergeguard.core.config import Config
from mergeguard.core.outcome import Oversized, Status
from mergeguard.report import json_report, markdown, sarif, terminal
from mergeguard.scan import pipeline, sizelimit
from mergeguard.scanners.commands import find_executable
from mergeguard.scanners.detect_secrets.scanner import MAX_FILE_BYTES, DetectSecretsScanner
from mergeguard.scanners.hadolint import HadolintScanner

needs_tool = pytest.mark.skipif(
    find_executable("detect-secrets") is None, reason="detect-secrets not installed"
)
SECRET_LINE = 'aws_secret = "AKIAIOSFODNN7EXAMPLQ"\n'  # pragma: allowlist secret


def big_file(path: Path, size: int) -> None:
    """A text file of `size` bytes with a credential in its first line."""
    line = "ordinary text of a generated data file, nothing secret here 0123456789\n"
    path.write_text(SECRET_LINE + line * ((size - len(SECRET_LINE)) // len(line) + 1))


def test_split_keeps_files_at_the_limit_and_lists_those_over_it(tmp_path: Path) -> None:
    (tmp_path / "at.txt").write_bytes(b"x" * MAX_FILE_BYTES)
    (tmp_path / "over.txt").write_bytes(b"x" * (MAX_FILE_BYTES + 1))
    files, oversized = sizelimit.split(DetectSecretsScanner(), tmp_path, ["at.txt", "over.txt", "gone.txt"])
    assert files == ("at.txt", "gone.txt")  # a file that vanished is the tool's to report
    assert oversized == Oversized(MAX_FILE_BYTES, ("over.txt",))
    assert oversized.describe() == "skipped 1 file over 2 MB: over.txt"


def test_a_scanner_without_a_limit_gets_every_file(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    assert sizelimit.split(HadolintScanner(), tmp_path, ["Dockerfile"]) == (("Dockerfile",), None)


@needs_tool
def test_a_file_over_the_limit_is_skipped_and_listed_in_every_report(tmp_path: Path) -> None:
    big_file(tmp_path / "dump.sql", MAX_FILE_BYTES + 4096)
    (tmp_path / "settings.py").write_text(SECRET_LINE)
    request = pipeline.ScanRequest(tmp_path, scanners=("detect-secrets",))
    result = pipeline.scan(request, Config())

    outcome = next(o for o in result.outcomes if o.scanner == "detect-secrets")
    assert outcome.status is Status.OK
    assert outcome.oversized == Oversized(MAX_FILE_BYTES, ("dump.sql",))
    paths = {a.finding.location.path for a in result.decision.assessed}
    assert paths == {"settings.py"}  # the small file was scanned; the big one was not given to the tool

    note = "skipped 1 file over 2 MB: dump.sql"
    assert f"Not scanned: detect-secrets: {note}." in terminal.render(result)
    scanners = {s["name"]: s for s in json_report.build(result)["scanners"]}
    assert scanners["detect-secrets"]["oversized"] == {
        "limit_bytes": MAX_FILE_BYTES,
        "paths": ["dump.sql"],
        "reason": note,
    }
    assert (
        "Not scanned by detect-secrets (over its per-file size limit): skipped 1 file over 2 MB: dump.sql"
        in (markdown.render_comment(result))
    )
    assert "dump.sql" in markdown.render_summary(result)
    log = json.loads(sarif.dumps_sarif(sarif.build_sarif(result)))
    notes = [
        n["message"]["text"]
        for run in log["runs"]
        for i in run["invocations"]
        for n in i.get("toolExecutionNotifications", [])
    ]
    assert f"Scanner detect-secrets {note} (its per-file size limit)" in notes


@needs_tool
def test_when_every_file_is_over_the_limit_the_scanner_is_skipped_saying_which(tmp_path: Path) -> None:
    big_file(tmp_path / "dump.sql", MAX_FILE_BYTES + 1)
    result = pipeline.scan(pipeline.ScanRequest(tmp_path, scanners=("detect-secrets",)), Config())
    outcome = next(o for o in result.outcomes if o.scanner == "detect-secrets")
    assert outcome.status is Status.SKIPPED
    assert outcome.reason == "skipped 1 file over 2 MB: dump.sql"
    assert "dump.sql" in terminal.render(result)
