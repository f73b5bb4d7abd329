"""The hash locks (locks/*.txt) agree with scanners.lock and pyproject.toml, and the check sees it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HASH_LINE = re.compile(r"^\s+--hash=sha256:[0-9a-f]{64}")


def _check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(root / "tools" / "locks.py"), "check"],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The files the check reads, copied, so a test can make them disagree."""
    for name in ("scanners.lock", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    for folder in ("tools", "locks"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_the_locks_are_up_to_date() -> None:
    result = _check(ROOT)
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout


def test_every_scanner_and_mergeguard_has_a_lock_with_every_line_hashed() -> None:
    names = {
        line.split()[0] for line in (ROOT / "scanners.lock").read_text().splitlines() if line[:1].isalpha()
    }
    assert {p.stem for p in (ROOT / "locks").glob("*.txt")} == names | {"mergeguard"}
    checkov = (ROOT / "locks" / "checkov.txt").read_text(encoding="utf-8")
    assert "\ncheckov==" in checkov
    assert len(re.findall(r"^[\w.-]+==", checkov, re.MULTILINE)) > 50  # the whole tree, not the top


def test_a_new_scanner_version_makes_its_lock_stale(copy: Path) -> None:
    lock = copy / "scanners.lock"
    lock.write_text(re.sub(r"(checkov\s+checkov\s+)\S+", r"\g<1>9.9.9", lock.read_text()), encoding="utf-8")
    result = _check(copy)
    assert result.returncode == 1
    assert "locks/checkov.txt: stale, its input differs from scanners.lock" in result.stderr
    assert "locks/checkov.txt: does not pin checkov==9.9.9" in result.stderr
    assert "bandit" not in result.stderr  # only the scanner that changed


def test_a_changed_project_dependency_makes_the_mergeguard_lock_stale(copy: Path) -> None:
    project = copy / "pyproject.toml"
    project.write_text(project.read_text().replace('"PyYAML>=6.0",', '"PyYAML>=6.0.2",'), encoding="utf-8")
    result = _check(copy)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "locks/mergeguard.txt: stale, its input differs from pyproject.toml (`make locks`)"
    ]


def test_a_requirement_without_a_hash_and_a_missing_lock_are_refused(copy: Path) -> None:
    bandit = copy / "locks" / "bandit.txt"
    kept = [line for line in bandit.read_text().splitlines() if not HASH_LINE.match(line)]
    bandit.write_text("\n".join(kept) + "\n", encoding="utf-8")
    (copy / "locks" / "gitleaks.txt").unlink()
    (copy / "locks" / "semgrep.txt").write_text("", encoding="utf-8")
    result = _check(copy)
    assert result.returncode == 1
    assert re.search(r"^locks/bandit\.txt:\d+: bandit==[\d.]+ has no --hash$", result.stderr, re.MULTILINE)
    assert "locks/gitleaks.txt: missing (run `make locks`)" in result.stderr
    assert "locks/semgrep.txt: no scanner of scanners.lock has this name" in result.stderr


def test_the_installer_installs_from_the_locks_with_hashes_only() -> None:
    """`make install` and the Dockerfile both go through the installer and the mergeguard lock."""
    installer = (ROOT / "tools" / "install_scanners.py").read_text(encoding="utf-8")
    assert '"--require-hashes", "--no-deps", "--only-binary", ":all:"' in installer
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "$(HASHED) -r locks/mergeguard.txt" in makefile
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "--require-hashes --no-deps --only-binary :all: -r /opt/mergeguard-build/locks/mergeguard.txt" in (
        dockerfile
    )
