"""One tool's inline ignore covers the same problem other tools report on that instruction, never
a change's own: `# hadolint ignore=DL3015` silences Trivy's DS-0029 there too."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mergeguard.cli import main as cli
from mergeguard.scanners.commands import find_executable
from mergeguard.scanners.hadolint import inline_ignores as hadolint_ignores
from mergeguard.scanners.tool import InlineIgnore
from mergeguard.scanners.trivy.fs import inline_ignores as trivy_ignores
from tests.gitutil import GitTree

INSTALL = "RUN apt-get update && apt-get install -y {} && rm -rf /var/lib/apt/lists/*\n"
HEAD = "FROM debian:12-slim\n"
TAIL = "USER 1000\nHEALTHCHECK CMD true\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "FROM d\n# hadolint ignore=DL3008,DL3015\nRUN a \\\n && b\nUSER 1",
            [(2, 3, 4, {"DL3008", "DL3015"})],
        ),
        ("FROM d\n#hadolint   ignore = DL3015 , DL3008\nRUN a\nUSER 1\n", [(2, 3, 3, {"DL3008", "DL3015"})]),
        ("FROM d\nRUN a\n# hadolint global ignore=DL3015\nUSER 1\n", [(3, 1, 5, {"DL3015"})]),
        ("FROM d\n# hadolint ignore=DL3015\n\nRUN a\n", []),  # not right above: hadolint skips nothing
        ("FROM d\n# hadolint ignore=DL3015\n# other\nRUN a\n", []),
        ("FROM d\n# hadolint ignore=DL3015 reason\nRUN a\n", []),  # words after: hadolint skips nothing
        ("FROM d\n# hadolint ignore=dl3015\nRUN a\n", []),
        ("FROM d\nRUN <<EOT\n# hadolint global ignore=DL3015\nEOT\n", []),  # a heredoc's body
    ],
)
def test_hadolint_ignores_are_read_no_more_loosely_than_hadolint_reads_them(
    text: str, expected: list[tuple[int, int, int, set[str]]]
) -> None:
    lines = text.split("\n")
    assert hadolint_ignores(lines) == [InlineIgnore(a, b, c, frozenset(r)) for a, b, c, r in expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FROM d\n# trivy:ignore:DS-0029\nRUN a\n", [(2, 3, 4, {"DS-0029"})]),
        ("FROM d\n# trivy:ignore:DS029\nRUN a\n", []),  # other spellings: Trivy's alone
        ("FROM d\n# trivy:ignore:DS-0029\n\nRUN a\n", []),
    ],
)
def test_trivy_ignores(text: str, expected: list[tuple[int, int, int, set[str]]]) -> None:
    lines = text.split("\n")
    assert trivy_ignores(lines) == [InlineIgnore(a, b, c, frozenset(r)) for a, b, c, r in expected]


@pytest.fixture
def _tools() -> None:
    missing = [tool for tool in ("trivy", "hadolint") if find_executable(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (make install)")


def scan(root: Path, *extra: str) -> tuple[int, list[dict[str, Any]]]:
    out = root.parent / "r.json"
    argv = ["scan", str(root), "--scanners", "hadolint,trivy-config", "--json", str(out), *extra]
    code = cli.main(argv)
    return code, json.loads(out.read_text(encoding="utf-8"))["findings"]


def installs(findings: list[dict[str, Any]]) -> list[tuple[int, str, tuple[str, ...], bool]]:
    """(line, status, tools, blocking) of the "apt-get without --no-install-recommends" findings."""
    return [
        (f["start_line"], f["status"], tuple(f["tools"]), f["blocking"])
        for f in findings
        if "DS-0029" in (f["rule_id"], *(s["rule_id"] for s in f["also"]))
        or "DL3015" in (f["rule_id"], *(s["rule_id"] for s in f["also"]))
    ]


@pytest.mark.scanner
@pytest.mark.usefixtures("_tools")
def test_one_tools_ignore_covers_the_same_problem_other_tools_report_there(tmp_path: Path) -> None:
    """The tester's Dockerfile: DS-0029 (high) blocked under `# hadolint ignore=DL3008,DL3015`; now
    covered there, and Trivy's own ignore covers hadolint's DL3015; an instruction without one still
    reports the problem once, from both tools."""
    tree = GitTree(tmp_path / "repo")
    text = (
        HEAD
        + "# hadolint ignore=DL3008,DL3015\n"
        + INSTALL.format("wget")
        + "# trivy:ignore:DS-0029\n"
        + INSTALL.format("curl")
        + "# hadolint ignore=DL3008\n"  # names another problem: covers nothing of this one
        + INSTALL.format("git")
        + TAIL
    )
    tree.write("Dockerfile", text)
    tree.commit("base")
    code, findings = scan(tree.root, "--all-files")
    assert installs(findings) == [(7, "new", ("trivy-config", "hadolint"), True)]
    assert code == 1


@pytest.mark.scanner
@pytest.mark.usefixtures("_tools")
@pytest.mark.parametrize(
    "change",
    [
        # the change's own ignore above its own instruction: blanked for hadolint, covers nothing
        lambda text: text.replace(TAIL, "# hadolint ignore=DL3008,DL3015\n" + INSTALL.format("git") + TAIL),
        # its instruction slipped under an ignore the base has: the old comment does not reach it
        lambda text: text.replace(INSTALL.format("wget"), INSTALL.format("git") + INSTALL.format("wget")),
        # its instruction rewritten under the base's ignore
        lambda text: text.replace(INSTALL.format("wget"), INSTALL.format("git")),
    ],
)
def test_a_pull_request_cannot_cover_its_own_instructions(tmp_path: Path, change: Any) -> None:
    tree = GitTree(tmp_path / "repo")
    base = HEAD + "# hadolint ignore=DL3008,DL3015\n" + INSTALL.format("wget") + TAIL
    tree.write("Dockerfile", base)
    tree.commit("base")
    tree.git("branch", "base")
    changed = change(base)
    tree.write("Dockerfile", changed)
    tree.commit("the change")
    code, findings = scan(tree.root, "--base", "base")
    line = changed.split("\n").index(INSTALL.format("git").rstrip("\n")) + 1
    assert (line, "new", True) in [(at, status, blocking) for at, status, _, blocking in installs(findings)]
    assert code == 1


@pytest.mark.scanner
@pytest.mark.usefixtures("_tools")
def test_the_bases_ignore_keeps_covering_an_instruction_the_change_left_alone(tmp_path: Path) -> None:
    tree = GitTree(tmp_path / "repo")
    base = HEAD + "# hadolint ignore=DL3008,DL3015\n" + INSTALL.format("wget") + TAIL
    tree.write("Dockerfile", base)
    tree.write(".mergeguard.yml", "fail-on-pre-existing: true\n")
    tree.commit("base")
    tree.git("branch", "base")
    tree.write("Dockerfile", base + "LABEL a=b\n")
    tree.commit("the change")
    code, findings = scan(tree.root, "--base", "base")
    assert installs(findings) == []
    assert code == 0
