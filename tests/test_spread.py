"""Chunks of per-file scanners over the cores, the costliest-first order, and Checkov without secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from mergeguard.core.changes import collect
from mergeguard.core.model import Finding, Kind, Location, Severity
from mergeguard.core.outcome import ScanOutcome, Status
from mergeguard.scan import history, overlap, spread
from mergeguard.scan.runner import run_all, run_job
from mergeguard.scanners.bandit import SKIPPED_RULE, BanditScanner
from mergeguard.scanners.base import Job, Target
from mergeguard.scanners.checkov.scanner import FRAMEWORKS, CheckovScanner, CheckovWithoutSecrets
from mergeguard.scanners.detect_secrets.scanner import DetectSecretsScanner
from mergeguard.scanners.hadolint import HadolintScanner


def _job(scanner: object, files: int, root: Path = Path("/x")) -> Job:
    names = tuple(f"f{i:03}.py" for i in range(files))
    return Job(scanner, Target(root, names, root, workdir=root), 60.0)  # type: ignore[arg-type]


def test_a_long_list_of_a_per_file_scanner_is_cut_into_one_contiguous_chunk_per_core() -> None:
    job = _job(DetectSecretsScanner(), 101)
    units = spread.units([_job(HadolintScanner(), 500), job], cores=2)
    assert [(u.index, u.part, u.parts) for u in units] == [(0, 1, 1), (1, 1, 2), (1, 2, 2)]
    chunks = [u.job.target.files for u in units[1:] if u.job.target is not None]
    assert chunks[0] + chunks[1] == job.target.files  # type: ignore[union-attr]
    assert abs(len(chunks[0]) - len(chunks[1])) <= 1


@pytest.mark.parametrize(("files", "cores", "parts"), [(79, 2, 1), (80, 2, 2), (400, 2, 2), (400, 4, 4)])
def test_chunks_only_when_each_has_enough_files(files: int, cores: int, parts: int) -> None:
    assert len(spread.units([_job(BanditScanner(), files)], cores)) == parts


def _finding(path: str) -> Finding:
    return Finding("bandit", "B602", Severity.HIGH, "t", "m", Location(path, 1), Kind.CODE)


def test_a_failed_chunk_fails_the_scanner_and_is_named() -> None:
    units = spread.units([_job(BanditScanner(), 100)], cores=2)
    ok = ScanOutcome("bandit", Status.OK, (_finding("f000.py"),), version="1.9.4", duration_s=1.0)
    failed = ScanOutcome("bandit", Status.FAILED, reason="timed out after 60s", duration_s=2.0)
    merged = spread.merge([(units[0], ok), (units[1], failed)])
    assert (merged.status, merged.reason, merged.findings) == (
        Status.FAILED,
        "chunk 2/2: timed out after 60s",
        (),
    )
    both = spread.merge([(units[0], ok), (units[1], ok)])
    assert (both.status, len(both.findings), both.duration_s) == (Status.OK, 2, 2.0)


def test_costliest_first_with_the_unmeasured_first_in_their_order() -> None:
    names = ["checkov", "bandit", "gitleaks", "hadolint"]
    assert history.order(names, {"bandit": 1.0, "gitleaks": 5.0}) == [0, 3, 2, 1]


def test_durations_round_trip_and_a_corrupt_file_is_ignored(tmp_path: Path) -> None:
    store = tmp_path / "durations.json"
    history.record([ScanOutcome("bandit", Status.OK, duration_s=1.5), ScanOutcome("x", Status.FAILED)], store)
    assert history.load(store) == {"bandit": 1.5}
    store.write_text("{not json", encoding="utf-8")
    assert history.load(store) == {}


@pytest.mark.scanner
def test_bandit_in_chunks_finds_what_one_process_finds(tmp_path: Path) -> None:
    for i in range(90):
        body = f'import subprocess\nsubprocess.call("ls {i}", shell=True)\n' if i % 3 == 0 else "x = 1\n"
        (tmp_path / f"m{i:02}.py").write_text(body, encoding="utf-8")
    changes = collect(tmp_path, None, ())
    target = Target(tmp_path, changes.paths(BanditScanner.applies_to), tmp_path, workdir=tmp_path)
    job = Job(BanditScanner(), target, 300.0)
    whole = run_job(job)
    [chunked] = run_all([job], workers=2)
    assert len(spread.units([job], 2)) == 2
    assert chunked.status is Status.OK and whole.status is Status.OK
    assert chunked.findings == whole.findings and len(whole.findings) == 90  # B404, B602, B607 x 30


def test_bandit_files_it_cannot_check_keep_their_place_whatever_the_chunks(tmp_path: Path) -> None:
    """Bandit lists unparsable files after every result: in chunks they used to land mid-list."""
    for i in range(90):
        body = f'import subprocess\nsubprocess.call("ls {i}", shell=True)\n' if i % 3 == 0 else "x = 1\n"
        (tmp_path / f"m{i:02}.py").write_text("def broken(:\n" if i in (10, 70) else body, encoding="utf-8")
    changes = collect(tmp_path, None, ())
    target = Target(tmp_path, changes.paths(BanditScanner.applies_to), tmp_path, workdir=tmp_path)
    job = Job(BanditScanner(), target, 300.0)
    whole = run_job(job)
    [chunked] = run_all([job], workers=2)
    skipped = [f.location.path for f in whole.findings if f.rule_id == SKIPPED_RULE]
    assert skipped == ["m10.py", "m70.py"]
    assert chunked.findings == whole.findings
    paths = [f.location.path for f in whole.findings]
    assert paths == sorted(paths)


def test_checkov_without_secrets_runs_no_secrets_framework() -> None:
    target = Target(Path("/v"), ("Dockerfile",), Path("/v"), workdir=Path("/w"))
    argv = CheckovWithoutSecrets().command("checkov", target).argv
    assert "secrets" not in argv and "--enable-secret-scan-all-files" not in argv
    assert [f for f in FRAMEWORKS if f in argv] == [f for f in FRAMEWORKS if f != "secrets"]
    assert "--enable-secret-scan-all-files" in CheckovScanner().command("checkov", target).argv


@pytest.mark.parametrize(
    ("selected", "expected"),
    [
        ({"checkov", "detect-secrets"}, "CheckovWithoutSecrets"),
        ({"checkov"}, "CheckovScanner"),
    ],
)
def test_the_secrets_framework_is_left_out_when_detect_secrets_reads_every_file(
    tmp_path: Path, selected: set[str], expected: str
) -> None:
    (tmp_path / "app.py").write_text("x = 1\n", encoding="utf-8")
    changes = collect(tmp_path, None, ())
    chosen = overlap.without_duplicates([CheckovScanner()], selected.__contains__, changes)
    assert type(chosen[0]).__name__ == expected
