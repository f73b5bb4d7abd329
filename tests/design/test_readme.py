"""The README is short, starts with the two first commands, and its Action tables are action.yml's."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
TOOL = ROOT / "tools" / "action_tables.py"


def check(readme: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(TOOL), *flags, str(readme)], capture_output=True, text=True, check=False
    )


def test_readme_is_under_8_kib() -> None:
    assert len(README.read_bytes()) < 8192


def test_readme_starts_with_make_demo_and_make_test() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# ")
    body = [line for line in lines[1:] if line.strip()]
    assert body[0] == "```"
    assert [line.split("#")[0].strip() for line in body[1:3]] == ["make demo", "make test"]
    assert body[3] == "```"
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^demo:", makefile, re.MULTILINE)
    assert re.search(r"^test:", makefile, re.MULTILINE)


def test_readme_tables_are_those_action_yml_gives() -> None:
    done = check(README, "--check")
    assert done.returncode == 0, done.stderr
    text = README.read_text(encoding="utf-8")
    for marker in ("inputs", "outputs"):
        assert text.count(f"<!-- {marker}:start -->") == text.count(f"<!-- {marker}:end -->") == 1


def test_every_input_and_output_of_action_yml_has_a_row() -> None:
    text = README.read_text(encoding="utf-8")
    action = (ROOT / "action.yml").read_text(encoding="utf-8")
    inputs, outputs = action.split("\noutputs:\n")
    for name in re.findall(r"^  ([a-z][a-z-]*):$", inputs, re.MULTILINE):
        assert f"\n| `{name}` | " in text, name
    for name in re.findall(r"^  ([a-z][a-z-]*):$", outputs.split("\nruns:")[0], re.MULTILINE):
        assert f"\n| `{name}` | " in text, name


def test_a_table_that_drifted_is_caught_and_rewritten(tmp_path: Path) -> None:
    copy = tmp_path / "README.md"
    shutil.copy(README, copy)
    original = copy.read_text(encoding="utf-8")
    copy.write_text(
        original.replace("| `upload-sarif` | `false` |", "| `upload-sarif` | `true` |"), encoding="utf-8"
    )
    done = check(copy, "--check")
    assert done.returncode == 1
    assert "differ from action.yml" in done.stderr
    assert check(copy).returncode == 0
    assert copy.read_text(encoding="utf-8") == original


def test_missing_markers_are_one_line_naming_them(tmp_path: Path) -> None:
    copy = tmp_path / "README.md"
    copy.write_text("# x\n", encoding="utf-8")
    done = check(copy, "--check")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "README: markers <!-- inputs:start --> / <!-- inputs:end --> not found"
    ]
