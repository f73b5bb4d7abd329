"""Every finding's lines are inside its file, whatever range its tool reported (real Checkov)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mergeguard.cli import main as cli
from mergeguard.scanners.commands import find_executable
from tests.gitutil import GitTree
from tests.test_basescan import WORKFLOW

pytestmark = pytest.mark.scanner


def test_a_range_past_the_end_of_the_file_ends_on_its_last_line(tmp_path: Path) -> None:
    """A step injecting an issue title into a shell, last in the file: Checkov 3.3.30 ends its range
    two lines past the file's end (found on a real repository)."""
    if find_executable("checkov") is None:
        pytest.skip("checkov not installed (make install)")
    tree = GitTree(tmp_path / "repo")
    tree.write(".github/workflows/triage.yml", WORKFLOW)
    tree.commit("a workflow")
    out = tmp_path / "r.json"
    cli.main(["scan", str(tree.root), "--all-files", "--scanners", "checkov", "--json", str(out)])
    [finding] = [
        f for f in json.loads(out.read_text(encoding="utf-8"))["findings"] if f["rule_id"] == "CKV_GHA_2"
    ]
    assert (finding["start_line"], finding["end_line"]) == (8, 8)
